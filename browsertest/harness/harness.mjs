// harness.mjs runs fetch() in a real headless browser, one job at a time, and
// records what JavaScript saw and every console line the browser printed.
//
// Usage:
//   node harness.mjs --browser chromium|firefox [--jobs FILE] [--executable PATH]
//                    [--timeout-ms 10000] [--settle-ms 150] [--max-settle-ms 2000]
//   node harness.mjs --check --browser chromium|firefox
//
// Jobs are a JSON array read from FILE or stdin:
//   [{"id": "a", "pageURL": "http://127.0.0.1:8001/",
//     "fetch": {"url": "http://127.0.0.1:8002/x", "method": "PUT",
//               "headers": [["X-A", "1"]], "body": null,
//               "credentials": "include", "mode": "cors"}}]
// A job may carry "parseURLs" instead of "fetch": the page then runs
// new URL(s) on each and the result's "parsed" lists what each gave,
// so URL parsing can be compared with the browser's without any traffic.
// With "parseBase" each is resolved against that base, new URL(s, base),
// as a Location header is against the URL that answered with it.
// Each entry of "parsed" is {origin, href, error}.
// The result is one JSON object on stdout:
//   {"browser": "...", "version": "...", "consoleCapture": "...",
//    "launchMs": N, "totalMs": N, "results": [...]}
// with one result per job, in job order (fields as in emptyResult below).
// Diagnostics go to stderr; CORSDOCTOR_HARNESS_TIMING=1 adds per-job timings.
// The exit status is 0 when every job was attempted, even if fetches failed:
// CORS failures are data. --check prints the resolved browser executable and
// exits 0 when puppeteer-core loads and the executable exists, 1 otherwise.
//
// Isolation. One browser process per run; every job gets a new browser context
// (Chromium: an incognito-like BrowserContext; Firefox: a WebDriver BiDi user
// context), so the HTTP cache, cookies and the CORS preflight cache never leak
// from one job to the next. Jobs run one after another: the Firefox console
// capture below attributes lines to a job by time, so jobs must not overlap.
//
// Console capture, Chromium (CDP). A raw CDP session per page enables the Log,
// Runtime and Audits domains. "Access to fetch at ... has been blocked by CORS
// policy: ..." arrives as Log.entryAdded with source "javascript" and category
// "cors"; "Failed to load resource: net::ERR_FAILED" as Log.entryAdded with
// source "network". console.* calls are Runtime.consoleAPICalled (source
// "console-api"), uncaught exceptions Runtime.exceptionThrown ("exception").
// DevTools issues (Audits.issueAdded) are not console lines, but they carry
// things Chromium no longer prints, e.g. the AuthorizationCoveredByWildcard
// deprecation; they are recorded with source "issue" and the issue JSON as text.
//
// Console capture, Firefox (the hard part). Firefox's CORS lines ("Cross-Origin
// Request Blocked: ...", "Cross-Origin Request Warning: ...") are nsIScriptError
// objects that nsCORSListenerProxy hands to the console service; they are not
// console.* calls. Firefox's WebDriver BiDi log module
// (remote/.../webdriver-bidi/modules/windowglobal/log.sys.mjs) forwards
// nsIScriptErrors only at level "error" (it listens to ConsoleListener's
// "error" event alone) and puppeteer turns them into 'pageerror' events, so
// blocked-request errors do arrive over BiDi but every warning, e.g.
// CORSAllowHeaderFromPreflightDeprecation ("Authorization" covered by
// "Access-Control-Allow-Headers: *"), is silently dropped. No pref echoes
// nsIScriptErrors to stdout: devtools.console.stdout.content only covers the
// console API (dom/console/Console.cpp), browser.dom.window.dump.enabled only
// dump(), and nsConsoleService only mirrors to logcat/the Windows debugger.
// So we launch Firefox with -remote-allow-system-access, which lets BiDi reach
// the parent-process chrome window ("moz:scope": "chrome"), and install an
// nsIConsoleListener there. Content processes forward every nsIScriptError to
// the parent (ContentChild's ConsoleListener -> ContentParent::RecvScriptError),
// so this listener sees what the Browser Console sees: errors, warnings and
// infos, with the category, which for CORS lines is the security.properties
// key (e.g. "CORSMissingAllowOrigin2"). The forwarded copies carry no usable
// inner window id (observed: 0), hence attribution by time: the buffer is
// drained before and after each job, and anything drained at the start of a
// job (a late line) is appended to the previous job. The parent copy is cut at
// 1000 characters (ContentChild's TruncateString); when a BiDi 'pageerror'
// carries the full text of a cut line, the full text is used. If system
// access is refused (an older Firefox), the harness falls back to the BiDi
// errors and reports consoleCapture "bidi-errors-only".

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const BODY_CAP = 64 * 1024; // characters of response body kept per job
const FIREFOX_TRUNCATE = 1000; // ContentChild's TruncateString limit

const CHROMIUM_CANDIDATES = ['/usr/lib/chromium/chromium', '/usr/bin/chromium'];
const FIREFOX_CANDIDATES = ['/usr/bin/firefox-esr', '/usr/lib/firefox-esr/firefox-esr'];

// Chromium flags: corsdoctor's required set plus --disable-dev-shm-usage (small /dev/shm
// in containers). /usr/lib/chromium/chromium is preferred to Debian's
// /usr/bin/chromium wrapper, which sources /etc/chromium.d (extensions, flags).
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
  '--disable-extensions',
];

// puppeteer writes its own Firefox test prefs; two of them change cookie
// handling away from a stock Firefox (cookieBehavior 0 = accept all). Put the
// release default (5, total cookie protection) back so credentialed cases
// behave like a user's browser.
const FIREFOX_PREFS = {
  'browser.contentblocking.features.standard':
    '-tp,tpPrivate,cookieBehavior5,cookieBehaviorPBM5,-cryptoTP,-fp',
  'network.cookie.cookieBehavior': 5,
  // No background traffic: loopback only.
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'network.dns.disablePrefetch': true,
  'network.prefetch-next': false,
  'browser.safebrowsing.update.enabled': false,
  'browser.region.network.url': '',
  'browser.region.update.enabled': false,
  'toolkit.telemetry.enabled': false,
  'toolkit.telemetry.server': '',
  'app.update.auto': false,
  'browser.ping-centre.telemetry': false,
  'extensions.blocklist.enabled': false,
};

function log(...args) {
  process.stderr.write(`harness: ${args.join(' ')}\n`);
}

function sleep(ms) {
  return new Promise(resolve => setTimeout(resolve, ms));
}

function resolveExecutable(browser, explicit) {
  if (explicit) {
    return explicit;
  }
  const env = browser === 'chromium' ? process.env.CORSDOCTOR_CHROMIUM : process.env.CORSDOCTOR_FIREFOX;
  if (env) {
    return env;
  }
  const candidates = browser === 'chromium' ? CHROMIUM_CANDIDATES : FIREFOX_CANDIDATES;
  for (const c of candidates) {
    try {
      fs.accessSync(c, fs.constants.X_OK);
      return c;
    } catch {
      // try the next one
    }
  }
  return candidates[candidates.length - 1];
}

// UsageError is a failure whose message says it all: no stack trace.
class UsageError extends Error {}

async function loadPuppeteer() {
  try {
    const mod = await import('puppeteer-core');
    return mod.default;
  } catch (err) {
    throw new UsageError(`cannot load puppeteer-core (run scripts/ensure-browsers.sh): ${err.message}`);
  }
}

async function check(browser, explicit) {
  await loadPuppeteer();
  const exe = resolveExecutable(browser, explicit);
  try {
    fs.accessSync(exe, fs.constants.X_OK);
  } catch {
    throw new UsageError(`${browser} executable ${exe} is missing or not executable`);
  }
  process.stdout.write(`${exe}\n`);
}

// pageFetch runs inside the page. It never aborts the fetch: an aborted fetch
// prints different console lines, so a hung request is reported as a timeout
// and the browser context is thrown away instead.
async function pageFetch({ url, init, timeoutMs, bodyCap }) {
  const timeout = new Promise(resolve => {
    setTimeout(() => resolve({ timedOut: true }), timeoutMs);
  });
  const run = (async () => {
    let res;
    try {
      res = await fetch(url, init);
    } catch (err) {
      return { resolved: false, error: String(err) };
    }
    const headers = [];
    for (const [name, value] of res.headers) {
      headers.push([name, value]);
    }
    const out = {
      resolved: true,
      status: res.status,
      type: res.type,
      url: res.url,
      redirected: res.redirected,
      headers,
      body: '',
    };
    try {
      const text = await res.text();
      out.body = text.slice(0, bodyCap);
      out.bodyTruncated = text.length > bodyCap;
    } catch (err) {
      out.error = String(err);
    }
    return out;
  })();
  return Promise.race([run, timeout]);
}

function fetchInit(f) {
  const init = {};
  if (f.method) init.method = f.method;
  if (f.headers && f.headers.length) init.headers = f.headers;
  if (f.body !== undefined && f.body !== null) init.body = f.body;
  if (f.credentials) init.credentials = f.credentials;
  if (f.mode) init.mode = f.mode;
  return init;
}

function withTimeout(promise, ms, what) {
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
  });
  return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

// ---- Chromium ---------------------------------------------------------------

const CDP_CONSOLE_LEVELS = {
  warning: 'warning',
  error: 'error',
  assert: 'error',
  info: 'info',
  debug: 'debug',
  verbose: 'verbose',
};

function cdpArgText(a) {
  if (a.type === 'string') return a.value;
  if (a.unserializableValue !== undefined) return a.unserializableValue;
  if (a.value !== undefined) return typeof a.value === 'object' ? JSON.stringify(a.value) : String(a.value);
  if (a.description !== undefined) return a.description;
  return a.type;
}

class ChromiumDriver {
  constructor(puppeteer, opts) {
    this.puppeteer = puppeteer;
    this.opts = opts;
    this.consoleCapture = 'cdp';
  }

  async launch() {
    this.userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'corsdoctor-chromium-'));
    this.browser = await this.puppeteer.launch({
      executablePath: this.opts.executable,
      headless: true,
      pipe: true, // the browser exits when this process does
      handleSIGINT: false, // main() handles signals: close, then exit
      handleSIGTERM: false,
      handleSIGHUP: false,
      userDataDir: this.userDataDir,
      args: CHROMIUM_ARGS,
      protocolTimeout: this.opts.timeoutMs + 20000,
    });
    this.version = await this.browser.version();
  }

  async openJob() {
    const context = await this.browser.createBrowserContext();
    const page = await context.newPage();
    const lines = [];
    const push = (t, m) => lines.push({ t, ...m });
    const cdp = await page.createCDPSession();
    cdp.on('Log.entryAdded', ({ entry }) => {
      push(entry.timestamp, {
        source: entry.source,
        level: CDP_CONSOLE_LEVELS[entry.level] ?? entry.level,
        text: entry.text,
        category: entry.category ?? '',
      });
    });
    cdp.on('Runtime.consoleAPICalled', e => {
      push(e.timestamp, {
        source: 'console-api',
        level: CDP_CONSOLE_LEVELS[e.type] ?? 'log',
        text: (e.args ?? []).map(cdpArgText).join(' '),
        category: '',
      });
    });
    cdp.on('Runtime.exceptionThrown', e => {
      const d = e.exceptionDetails;
      const desc = d.exception?.description;
      push(e.timestamp, {
        source: 'exception',
        level: 'error',
        text: desc ? `${d.text} ${desc}` : d.text,
        category: '',
      });
    });
    cdp.on('Audits.issueAdded', ({ issue }) => {
      const cors = issue.details?.corsIssueDetails;
      const warning = issue.code === 'DeprecationIssue' || cors?.isWarning === true;
      push(Date.now(), {
        source: 'issue',
        level: warning ? 'warning' : 'error',
        text: `${issue.code} ${JSON.stringify(issue.details)}`,
        category: issue.code,
      });
    });
    await Promise.all([cdp.send('Log.enable'), cdp.send('Runtime.enable'), cdp.send('Audits.enable')]);
    return {
      page,
      lines,
      count: () => lines.length,
      collect: async () => lines.splice(0),
      close: async () => {
        await context.close();
      },
    };
  }

  async close() {
    try {
      await this.browser?.close();
    } finally {
      if (this.userDataDir) {
        try {
          fs.rmSync(this.userDataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
        } catch (err) {
          log(`remove ${this.userDataDir}: ${err.message}`);
        }
      }
    }
  }
}

// ---- Firefox ----------------------------------------------------------------

// Installed in Firefox's parent-process chrome window. Keeps content-process
// nsIScriptErrors (CORS, CSP, exceptions...) in a buffer that the harness drains.
const FIREFOX_LISTENER = `(() => {
  if (globalThis.__corsdoctorConsole) return 'already';
  const buf = [];
  const levelOf = flags => {
    if (flags & Ci.nsIScriptError.warningFlag) return 'warning';
    if (flags & Ci.nsIScriptError.infoFlag) return 'info';
    return 'error';
  };
  const listener = {
    observe(m) {
      if (!(m instanceof Ci.nsIScriptError) || m.isFromChromeContext) return;
      buf.push({ t: m.timeStamp, level: levelOf(m.flags), text: m.errorMessage, category: m.category || '' });
    },
    QueryInterface: ChromeUtils.generateQI(['nsIConsoleListener']),
  };
  Services.console.registerListener(listener);
  globalThis.__corsdoctorConsole = buf;
  return 'installed';
})()`;

const FIREFOX_DRAIN = `JSON.stringify(globalThis.__corsdoctorConsole.splice(0))`;

class FirefoxDriver {
  constructor(puppeteer, opts) {
    this.puppeteer = puppeteer;
    this.opts = opts;
    this.consoleCapture = 'bidi-errors-only';
    this.chromeContext = null;
  }

  async launch() {
    this.browser = await this.puppeteer.launch({
      browser: 'firefox',
      executablePath: this.opts.executable,
      headless: true,
      args: ['-remote-allow-system-access'],
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
      extraPrefsFirefox: FIREFOX_PREFS,
      protocolTimeout: this.opts.timeoutMs + 20000,
    });
    this.version = await this.browser.version();
    const conn = this.browser.connection;
    try {
      const tree = await conn.send('browsingContext.getTree', { 'moz:scope': 'chrome', maxDepth: 0 });
      this.chromeContext = tree.result.contexts[0].context;
      await this.#chromeEval(FIREFOX_LISTENER);
      this.consoleCapture = 'chrome-console-listener';
    } catch (err) {
      log(`firefox: no system access, falling back to BiDi errors only: ${err.message}`);
      this.chromeContext = null;
    }
  }

  async #chromeEval(expression) {
    const r = await this.browser.connection.send('script.evaluate', {
      target: { context: this.chromeContext },
      expression,
      awaitPromise: false,
    });
    if (r.result.type !== 'success') {
      throw new Error(`chrome script: ${r.result.exceptionDetails?.text ?? JSON.stringify(r.result)}`);
    }
    return r.result.result.value;
  }

  // drain returns the parent-process console lines logged since the last drain.
  async drain() {
    if (!this.chromeContext) return [];
    const raw = await this.#chromeEval(FIREFOX_DRAIN);
    return JSON.parse(raw).map(m => ({
      t: m.t,
      source: 'script-error',
      level: m.level,
      text: m.text,
      category: m.category,
    }));
  }

  async openJob() {
    // Firefox sometimes discards a just-created browsing context while the
    // previous job's context is closing ("DiscardedBrowsingContextError");
    // one retry with a fresh context is enough in practice.
    let context, page;
    for (let attempt = 0; ; attempt++) {
      try {
        context = await this.browser.createBrowserContext();
        page = await context.newPage();
        break;
      } catch (err) {
        if (context) await context.close().catch(() => {});
        if (attempt >= 2) throw err;
        await new Promise(r => setTimeout(r, 100));
      }
    }
    const lines = [];
    const pageErrors = [];
    page.on('console', msg => {
      const type = msg.type();
      lines.push({
        t: Date.now(),
        source: 'console-api',
        level: type === 'warn' ? 'warning' : type === 'error' || type === 'assert' ? 'error' : type === 'info' || type === 'debug' ? type : 'log',
        text: msg.text(),
        category: '',
      });
    });
    // BiDi javascript entries: level "error" nsIScriptErrors with their full text.
    page.on('pageerror', err => {
      pageErrors.push({ t: Date.now(), text: err.message });
    });
    const collect = async () => {
      const out = lines.splice(0);
      const bidiErrors = pageErrors.splice(0);
      if (!this.chromeContext) {
        for (const e of bidiErrors) {
          out.push({ t: e.t, source: 'bidi-javascript', level: 'error', text: e.text, category: '' });
        }
        return out;
      }
      for (const m of await this.drain()) {
        if (m.text.length >= FIREFOX_TRUNCATE) {
          const full = bidiErrors.find(e => e.text.length > m.text.length && e.text.startsWith(m.text));
          if (full) m.text = full.text;
        }
        out.push(m);
      }
      return out;
    };
    return {
      page,
      count: () => lines.length + pageErrors.length,
      collect,
      close: async () => {
        await context.close();
      },
    };
  }

  async close() {
    await this.browser?.close();
  }
}

// ---- job loop ---------------------------------------------------------------

function emptyResult(id) {
  return {
    id,
    resolved: false,
    status: 0,
    type: '',
    url: '',
    redirected: false,
    headers: [],
    body: '',
    bodyTruncated: false,
    error: '',
    timedOut: false,
    console: [],
    harnessError: '',
    parsed: [],
  };
}

// pageParseURLs runs in the page: the origin and href each URL parses to,
// or the TypeError the URL constructor throws.
function pageParseURLs({ urls, base }) {
  return urls.map(s => {
    try {
      const u = base ? new URL(s, base) : new URL(s);
      return { origin: u.origin, href: u.href, error: '' };
    } catch (err) {
      return { origin: '', href: '', error: String(err) };
    }
  });
}

// finishConsole orders lines by the browser's timestamps. Chromium issues are
// stamped on arrival in this process, not by the browser, so they go last.
function finishConsole(lines) {
  const rank = l => (l.source === 'issue' ? 1 : 0);
  return lines
    .map((l, i) => ({ ...l, i }))
    .sort((a, b) => rank(a) - rank(b) || a.t - b.t || a.i - b.i)
    .map(({ source, level, text, category }) => ({ source, level, text, category }));
}

// settle waits until no new console line has arrived for settleMs, or
// maxSettleMs has passed, so late lines (Chromium's network line, Firefox's
// second preflight line) land in this job.
async function settle(job, driver, opts) {
  const deadline = Date.now() + opts.maxSettleMs;
  let seen = job.count();
  let buffered = [];
  // Firefox lines live in the chrome buffer: pull what is there already (the
  // CORS lines are usually logged before the fetch promise settles), then
  // watch for more.
  if (driver instanceof FirefoxDriver) {
    buffered = await job.collect();
  }
  for (;;) {
    await sleep(opts.settleMs);
    if (driver instanceof FirefoxDriver) {
      const got = await job.collect();
      buffered = buffered.concat(got);
      if (got.length === 0 || Date.now() >= deadline) break;
      continue;
    }
    const now = job.count();
    if (now === seen || Date.now() >= deadline) break;
    seen = now;
  }
  return buffered.concat(await job.collect());
}

// runJob runs one job. opening is the job's browser context and page, opened
// ahead of time (or null to open it now); openNext starts opening the next
// job's while this one waits for late console lines, which hides most of the
// cost of a new context and page. It returns the result and that promise.
async function runJob(driver, spec, opts, previous, opening, openNext) {
  const result = emptyResult(spec.id);
  let job;
  let next = null;
  try {
    // Lines logged after the previous job's last drain belong to it.
    if (driver instanceof FirefoxDriver) {
      const late = await driver.drain();
      if (previous && late.length) {
        previous.lateLines = (previous.lateLines ?? []).concat(late);
      } else if (late.length) {
        log(`dropping ${late.length} console line(s) logged before the first job`);
      }
    }
    job = await (opening ?? driver.openJob());
    let resp;
    try {
      resp = await job.page.goto(spec.pageURL, { waitUntil: 'load', timeout: opts.timeoutMs });
    } catch (err) {
      // Firefox appends a chrome:// stack to the message; keep the first part.
      const msg = String(err?.message ?? err).split('\n')[0].replace(/\s+\S*@chrome:\/\/.*$/, '');
      throw new Error(`load page ${spec.pageURL}: ${msg}`);
    }
    if (resp && !resp.ok()) {
      // Still a page with an origin, so the fetch is still meaningful.
      log(`job ${spec.id}: page ${spec.pageURL} answered ${resp.status()}`);
    }
    if (spec.parseURLs) {
      result.parsed = await withTimeout(job.page.evaluate(pageParseURLs, { urls: spec.parseURLs, base: spec.parseBase ?? '' }), opts.timeoutMs, 'page.evaluate');
      return { result, next: openNext() };
    }
    const out = await withTimeout(
      job.page.evaluate(pageFetch, {
        url: spec.fetch.url,
        init: fetchInit(spec.fetch),
        timeoutMs: opts.timeoutMs,
        bodyCap: BODY_CAP,
      }),
      opts.timeoutMs + 5000,
      'page.evaluate',
    );
    if (out.timedOut) {
      result.timedOut = true;
    } else {
      Object.assign(result, out);
    }
    next = openNext();
    const settledAt = Date.now();
    const lines = await settle(job, driver, opts);
    if (process.env.CORSDOCTOR_HARNESS_TIMING) {
      log(`timing ${spec.id}: settle ${Date.now() - settledAt} ms, lines at ${lines.map(l => Math.round(l.t - settledAt)).join(',')}`);
    }
    result.console = finishConsole(lines);
  } catch (err) {
    result.harnessError = String(err?.message ?? err);
    if (job) {
      try {
        result.console = finishConsole(await job.collect());
      } catch {
        // the browser may be gone
      }
    }
  } finally {
    if (job) {
      await job.close().catch(err => log(`close context for ${spec.id}: ${err.message}`));
    }
  }
  return { result, next };
}

function readJobs(file) {
  const text = fs.readFileSync(file ?? 0, 'utf8');
  const jobs = JSON.parse(text);
  if (!Array.isArray(jobs)) {
    throw new UsageError('jobs: want a JSON array');
  }
  for (const [i, j] of jobs.entries()) {
    const fetchOK = Boolean(j?.fetch) && typeof j.fetch.url === 'string' && j.fetch.url !== '';
    const parseOK = Array.isArray(j?.parseURLs) && j.parseURLs.every(u => typeof u === 'string');
    if (!j || typeof j.id !== 'string' || typeof j.pageURL !== 'string' || fetchOK === parseOK) {
      throw new UsageError(`jobs[${i}]: want {id, pageURL, fetch: {url, ...}} or {id, pageURL, parseURLs: [...]}`);
    }
  }
  return jobs;
}

async function main() {
  const { values } = parseArgs({
    options: {
      browser: { type: 'string' },
      jobs: { type: 'string' },
      executable: { type: 'string' },
      'timeout-ms': { type: 'string', default: '10000' },
      'settle-ms': { type: 'string', default: '150' },
      'max-settle-ms': { type: 'string', default: '2000' },
      check: { type: 'boolean', default: false },
    },
  });
  const browserName = values.browser;
  if (browserName !== 'chromium' && browserName !== 'firefox') {
    throw new UsageError('--browser must be chromium or firefox');
  }
  if (values.check) {
    await check(browserName, values.executable);
    return;
  }
  const opts = {
    executable: resolveExecutable(browserName, values.executable),
    timeoutMs: Number(values['timeout-ms']),
    settleMs: Number(values['settle-ms']),
    maxSettleMs: Number(values['max-settle-ms']),
  };
  const jobs = readJobs(values.jobs);
  const puppeteer = await loadPuppeteer();
  const Driver = browserName === 'chromium' ? ChromiumDriver : FirefoxDriver;
  let driver = new Driver(puppeteer, opts);

  // Close the browser if we are told to stop or our parent goes away.
  let stopping = false;
  const stop = async code => {
    if (stopping) return;
    stopping = true;
    const proc = driver.browser?.process();
    const hard = setTimeout(() => {
      proc?.kill('SIGKILL');
      process.exit(code);
    }, 5000);
    await driver.close().catch(() => {});
    clearTimeout(hard);
    process.exit(code);
  };
  process.on('SIGTERM', () => stop(143));
  process.on('SIGINT', () => stop(130));
  const parent = process.ppid;
  const watchdog = setInterval(() => {
    if (process.ppid !== parent) {
      log('parent went away, stopping');
      stop(1);
    }
  }, 1000);
  watchdog.unref();

  const started = Date.now();
  await driver.launch();
  const launchedMs = Date.now() - started;
  const results = [];
  let previous = null;
  let opening = null;
  for (const [i, spec] of jobs.entries()) {
    if (stopping) await new Promise(() => {}); // stop() exits the process
    if (!driver.browser.connected) {
      log(`browser disconnected; relaunching before job ${spec.id}`);
      await driver.close().catch(() => {});
      driver = new Driver(puppeteer, opts);
      await driver.launch();
      previous = null;
      opening = null;
    }
    const d = driver;
    const openNext = () => {
      if (i + 1 >= jobs.length) return null;
      const p = d.openJob();
      p.catch(() => {}); // reported when the next job awaits it
      return p;
    };
    const { result, next } = await runJob(driver, spec, opts, previous, opening, openNext);
    results.push(result);
    previous = result;
    opening = next;
  }
  if (opening) {
    // A job failed before using its pre-opened successor's slot; tidy up.
    await opening.then(j => j.close()).catch(() => {});
  }
  if (driver instanceof FirefoxDriver && previous) {
    await sleep(opts.settleMs);
    const late = await driver.drain().catch(() => []);
    if (late.length) previous.lateLines = (previous.lateLines ?? []).concat(late);
  }
  for (const r of results) {
    if (r.lateLines) {
      r.console = r.console.concat(finishConsole(r.lateLines));
      delete r.lateLines;
    }
  }
  const totalMs = Date.now() - started;
  const version = driver.version;
  const consoleCapture = driver.consoleCapture;
  if (stopping) await new Promise(() => {}); // no report after a signal
  await driver.close();
  log(`${browserName} ${version}: ${jobs.length} job(s) in ${totalMs} ms (launch ${launchedMs} ms)`);
  const report = JSON.stringify({ browser: browserName, version, consoleCapture, launchMs: launchedMs, totalMs, results });
  await new Promise(resolve => process.stdout.write(report + '\n', resolve));
}

main().then(
  () => process.exit(0),
  err => {
    log(err instanceof UsageError ? err.message : (err?.stack ?? String(err)));
    process.exit(1);
  },
);
