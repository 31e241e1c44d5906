// dashboard.mjs drives a real headless browser through the dashboard's
// whole flow and prints what it saw as one JSON object on stdout; the Go
// test (e2e_test.go) starts the servers and judges the result.
//
//   node dashboard.mjs --browser chromium|firefox --dashboard URL --target URL --origin ORIGIN
//
// It reuses the puppeteer-core that browsertest/harness installs (one
// browser driver for the project), found through CORSDOCTOR_HARNESS_DIR.
//
// The flow: open the form, add headers with the row editor (marking one
// secret), submit against a slow target and watch the progress indicator,
// land on /d/{id}, read the verdict, follow a finding to its highlighted
// header line, copy a curl command, then open the share link in a fresh
// browser context and read the same verdict. Along the way it records every
// console error and every Content-Security-Policy violation, and it also
// submits bad input (the field must be marked, the values kept) and runs
// the form with JavaScript disabled.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    browser: { type: 'string', default: 'chromium' },
    dashboard: { type: 'string' },
    target: { type: 'string' },
    origin: { type: 'string' },
    executable: { type: 'string' },
  },
});

const harnessDir = process.env.CORSDOCTOR_HARNESS_DIR || path.resolve(path.dirname(new URL(import.meta.url).pathname), '../browsertest/harness');
const require = createRequire(path.join(harnessDir, 'package.json'));
const puppeteer = require('puppeteer-core');

function executable() {
  if (args.executable) return args.executable;
  const env = args.browser === 'chromium' ? process.env.CORSDOCTOR_CHROMIUM : process.env.CORSDOCTOR_FIREFOX;
  if (env) return env;
  const candidates = args.browser === 'chromium'
    ? ['/usr/lib/chromium/chromium', '/usr/bin/chromium']
    : ['/usr/bin/firefox-esr', '/usr/lib/firefox-esr/firefox-esr'];
  return candidates.find(c => { try { fs.accessSync(c, fs.constants.X_OK); return true; } catch { return false; } });
}

const sleep = ms => new Promise(r => setTimeout(r, ms));
const result = { browser: args.browser, steps: [], consoleErrors: [], cspViolations: [], pageErrors: [] };
const step = s => { result.steps.push(s); process.stderr.write(`e2e: ${s}\n`); };

const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'corsdoctor-e2e-'));
const launch = {
  browser: args.browser === 'firefox' ? 'firefox' : 'chrome',
  executablePath: executable(),
  headless: true,
  userDataDir,
  protocolTimeout: 60000,
};
if (args.browser === 'chromium') {
  launch.args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
    '--disable-extensions', `--user-data-dir=${userDataDir}`];
} else {
  launch.extraPrefsFirefox = { 'network.captive-portal-service.enabled': false, 'app.update.auto': false, 'toolkit.telemetry.enabled': false };
}

// watch records console errors, uncaught exceptions and CSP violations
// for a page. Chromium reports a violation on the console too; the DOM
// event catches it in every browser.
async function watch(page, label) {
  page.on('console', m => {
    if (m.type() === 'error' || m.type() === 'warn' && /Content.Security.Policy|CSP/i.test(m.text())) {
      result.consoleErrors.push(`${label}: ${m.type()}: ${m.text()}`);
    }
  });
  page.on('pageerror', e => result.pageErrors.push(`${label}: ${e.message || e}`));
  await page.exposeFunction('__cspViolation', v => result.cspViolations.push(`${label}: ${v}`));
  await page.evaluateOnNewDocument(() => {
    document.addEventListener('securitypolicyviolation', e => {
      window.__cspViolation(`${e.violatedDirective} blocked ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}`);
    });
  });
}

async function text(page, sel) {
  return page.$eval(sel, el => el.textContent.replace(/\s+/g, ' ').trim());
}

async function verdict(page) {
  return {
    headline: await text(page, '[data-testid="headline"]'),
    firefox: await text(page, '[data-testid="verdict-firefox"] [data-testid="outcome"]'),
    chromium: await text(page, '[data-testid="verdict-chromium"] [data-testid="outcome"]'),
    firefoxSummary: await text(page, '[data-testid="verdict-firefox"] [data-testid="summary"]'),
    chromiumSummary: await text(page, '[data-testid="verdict-chromium"] [data-testid="summary"]'),
  };
}

let browser;
try {
  browser = await puppeteer.launch(launch);
  result.version = await browser.version();

  // 1. The form, enhanced by JavaScript.
  const ctx = await browser.createBrowserContext();
  const page = await ctx.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  await watch(page, 'form');
  const progressSeen = [];
  await page.exposeFunction('__progress', v => progressSeen.push(JSON.parse(v)));
  await page.evaluateOnNewDocument(() => {
    document.addEventListener('DOMContentLoaded', () => {
      const p = document.getElementById('progress');
      if (!p) return;
      const report = () => window.__progress(JSON.stringify({ hidden: p.hidden, text: p.textContent.replace(/\s+/g, ' ').trim(), disabled: document.querySelector('[data-testid="submit"]').disabled }));
      new MutationObserver(report).observe(p, { attributes: true, childList: true, characterData: true, subtree: true });
    });
  });
  await page.goto(args.dashboard, { waitUntil: 'load' });
  await page.waitForSelector('[data-testid="header-row"]');
  step('form loaded with the header row editor');
  result.title = await page.title();

  await page.type('#f-url', args.target + '/slow-blocked');
  await page.type('#f-origin', args.origin);
  await page.$eval('#f-method', el => { el.value = ''; });
  await page.type('#f-method', 'PUT');
  // Headers through the row editor: fill the first row, add two more.
  const fillRow = async (i, name, value) => {
    const rows = await page.$$('[data-testid="header-row"]');
    await rows[i].$eval('.hn', el => { el.value = ''; });
    await (await rows[i].$('.hn')).type(name);
    await (await rows[i].$('.hv')).type(value);
  };
  await fillRow(0, 'Content-Type', 'application/json');
  await page.click('[data-testid="add-header"]');
  await fillRow(1, 'X-Trace', 'trace-e2e-secret');
  await page.click('[data-testid="add-header"]');
  await fillRow(2, 'Authorization', 'Bearer e2e-secret');
  const rows = await page.$$('[data-testid="header-row"]');
  await (await rows[1].$('.hs')).click(); // mark X-Trace secret
  result.authorizationAlwaysSecret = await rows[2].$eval('.hs', el => el.checked && el.disabled);
  result.headersTextarea = await page.$eval('#f-headers', el => el.value);
  result.secretField = await page.$eval('#f-secret', el => el.value);
  await page.type('#f-body', '{"e2e": true}');
  step('form filled');

  // 2. Submit: the slow target keeps the indicator up for a while.
  const nav = page.waitForNavigation({ waitUntil: 'load', timeout: 120000 }); // within run's 3 min
  nav.catch(() => {}); // awaited below; a failure before then is reported there
  // Not awaited yet: the click may not resolve before the navigation
  // it starts, which waits for the target, which waits for the release.
  const clicked = page.click('[data-testid="submit"]');
  clicked.catch(() => {}); // awaited below
  // DevTools cannot evaluate in a page while its form navigation is
  // pending, so the observer installed by watchProgress reports instead.
  // The target holds its preflight until released, so the indicator has
  // all the time a loaded machine needs to tick; the deadline only ends a
  // wait for an indicator that never ticks.
  const deadline = Date.now() + 30000;
  while (Date.now() < deadline && !progressSeen.some(p => !p.hidden && / [1-9] s/.test(p.text))) await sleep(100);
  const ticked = progressSeen.find(p => !p.hidden && / [1-9] s/.test(p.text)) || progressSeen[progressSeen.length - 1] || {};
  result.progress = ticked.text || '';
  result.submitDisabled = !!ticked.disabled;
  await fetch(args.target + '/release-slow');
  await clicked;
  await nav;
  result.diagnosisURL = page.url();
  result.firstHTML = await page.$eval('main', m => m.innerHTML);
  step('landed on ' + result.diagnosisURL);

  // 3. The results page.
  result.first = await verdict(page);
  result.redacted = await text(page, '[data-testid="redacted"]');
  result.pageHasSecret = (await page.content()).includes('e2e-secret');
  result.findings = await page.$$eval('[data-testid="finding"]', fs => fs.map(f => ({
    severity: f.dataset.severity, reason: f.dataset.reason,
    console: [...f.querySelectorAll('.console-text')].map(c => c.textContent),
  })));
  const link = await page.$('[data-testid="finding-line-link"]');
  if (link) {
    await link.click();
    await page.waitForFunction(() => document.querySelector(':target'), { timeout: 10000 }).catch(() => {});
    result.lineTarget = await page.evaluate(() => {
      const el = document.querySelector(':target');
      return el ? { id: el.id, offending: el.classList.contains('offending'), text: el.textContent.trim() } : null;
    });
  }
  result.steps_ = await page.$$eval('[data-testid="step"]', s => s.map(x => x.className));

  // Copy as curl (Chromium lets a test grant clipboard access).
  if (args.browser === 'chromium') {
    await ctx.overridePermissions(new URL(args.dashboard).origin, ['clipboard-read', 'clipboard-write', 'clipboard-sanitized-write']);
    await page.click('[data-copy-target="curl-preflight"]');
    // The label says "Copied" for a moment: catch it when it changes, not
    // after a pause a loaded machine may outlast.
    await page.waitForFunction(() => document.querySelector('[data-copy-target="curl-preflight"]').textContent.trim() === 'Copied', { timeout: 10000 }).catch(() => {});
    result.copyLabel = await text(page, '[data-copy-target="curl-preflight"]');
    result.clipboard = await page.evaluate(() => navigator.clipboard.readText());
    result.curlPreflight = await page.$eval('#curl-preflight', el => el.textContent);
  }
  // Download HAR answers with an attachment.
  result.har = await page.evaluate(async () => {
    const a = document.querySelector('[data-testid="download-har"]');
    const r = await fetch(a.href);
    const j = await r.json();
    return { status: r.status, disposition: r.headers.get('content-disposition'), version: j.log.version, entries: j.log.entries.length };
  });
  step('results page read');

  // 4. The share link in a fresh context: same page, same verdict.
  const ctx2 = await browser.createBrowserContext();
  const page2 = await ctx2.newPage();
  await watch(page2, 'share');
  await page2.goto(result.diagnosisURL, { waitUntil: 'load' });
  result.shared = await verdict(page2);
  result.sharedSameHTML = (await page2.$eval('main', m => m.innerHTML)) === result.firstHTML;
  delete result.firstHTML;
  step('share link opened in a fresh context');

  // 5. Bad input comes back marked, with the values kept. Same context as
  // the first submission, so the origin cookie is there. The 400 makes
  // Chromium log "Failed to load resource", which is expected here only.
  const page4 = await ctx.newPage();
  await watch(page4, 'bad-input');
  await page4.goto(args.dashboard, { waitUntil: 'load' });
  result.rememberedOrigin = await page4.$eval('#f-origin', el => el.value);
  await page4.type('#f-url', args.target + '/ok');
  await page4.$eval('#f-origin', el => { el.value = ''; });
  await page4.type('#f-origin', args.origin + '/app/');
  await Promise.all([page4.waitForNavigation({ waitUntil: 'load' }), page4.click('[data-testid="submit"]')]);
  result.badInput = {
    summary: await text(page4, '[data-testid="form-error"]'),
    fieldError: await text(page4, '[data-testid="error-origin"]'),
    invalid: await page4.$eval('#f-origin', el => el.getAttribute('aria-invalid')),
    keptURL: await page4.$eval('#f-url', el => el.value),
    keptOrigin: await page4.$eval('#f-origin', el => el.value),
    focused: await page4.evaluate(() => document.activeElement && document.activeElement.id),
  };
  result.consoleErrors = result.consoleErrors.filter(e => !/^bad-input: error: Failed to load resource: the server responded with a status of 400/.test(e));
  step('bad input re-rendered');

  // 6. Without JavaScript the plain form still works. (Firefox's WebDriver
  // BiDi cannot switch scripting off per page.)
  if (args.browser === 'chromium') {
    const ctx3 = await browser.createBrowserContext();
    const page3 = await ctx3.newPage();
    await page3.setJavaScriptEnabled(false);
    await page3.goto(args.dashboard, { waitUntil: 'load' });
    result.noJS = { textareaVisible: await page3.$eval('#f-headers', el => !el.hidden && el.offsetParent !== null) };
    await page3.type('#f-url', args.target + '/ok');
    await page3.type('#f-origin', args.origin);
    await page3.type('#f-headers', 'X-Requested-With: e2e');
    await Promise.all([page3.waitForNavigation({ waitUntil: 'load' }), page3.click('[data-testid="submit"]')]);
    result.noJS.url = page3.url();
    result.noJS.verdict = await verdict(page3);
    step('no-JavaScript flow done');
  }

  // 7. Keyboard: the skip link and the form are reachable with Tab.
  await page2.goto(args.dashboard, { waitUntil: 'load' });
  const focusTrail = [];
  for (let i = 0; i < 8; i++) {
    await page2.keyboard.press('Tab');
    focusTrail.push(await page2.evaluate(() => document.activeElement.id || document.activeElement.className || document.activeElement.tagName));
  }
  result.focusTrail = focusTrail;

  // 8. Narrow screens: nothing overflows horizontally.
  await page.setViewport({ width: 375, height: 800 });
  await page.goto(result.diagnosisURL, { waitUntil: 'load' });
  result.narrowOverflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  await page.goto(args.dashboard, { waitUntil: 'load' });
  result.narrowFormOverflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  step('narrow layout checked');
} catch (e) {
  result.error = String(e && e.stack || e);
} finally {
  if (browser) await browser.close().catch(() => {});
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(result, null, 2) + '\n');
