// paste.mjs drives the home page's paste box in a real headless browser:
// it pastes a console line, which submits the box by itself with
// JavaScript (without, its button does), reads the form it filled, presses Diagnose and reads the
// verdict; it prints what it saw as one JSON object on stdout for
// paste_test.go to judge.
//
//   node paste.mjs --browser chromium --dashboard URL --paste TEXT [--screenshot FILE]
//
// --screenshot saves the results page (the README's picture).
// Like dashboard.mjs it reuses the harness's puppeteer-core
// (CORSDOCTOR_HARNESS_DIR).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    browser: { type: 'string', default: 'chromium' },
    dashboard: { type: 'string' },
    paste: { type: 'string' },
    screenshot: { type: 'string' },
  },
});

const harnessDir = process.env.CORSDOCTOR_HARNESS_DIR || path.resolve(path.dirname(new URL(import.meta.url).pathname), '../browsertest/harness');
const require = createRequire(path.join(harnessDir, 'package.json'));
const puppeteer = require('puppeteer-core');

function executable() {
  const env = args.browser === 'chromium' ? process.env.CORSDOCTOR_CHROMIUM : process.env.CORSDOCTOR_FIREFOX;
  if (env) return env;
  const candidates = args.browser === 'chromium'
    ? ['/usr/lib/chromium/chromium', '/usr/bin/chromium']
    : ['/usr/bin/firefox-esr', '/usr/lib/firefox-esr/firefox-esr'];
  return candidates.find(c => { try { fs.accessSync(c, fs.constants.X_OK); return true; } catch { return false; } });
}

const result = { browser: args.browser, consoleErrors: [], cspViolations: [], pageErrors: [], runs: [] };
const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'corsdoctor-e2e-paste-'));
const launch = {
  browser: args.browser === 'firefox' ? 'firefox' : 'chrome',
  executablePath: executable(),
  headless: true,
  userDataDir,
  protocolTimeout: 60000,
};
if (args.browser === 'chromium') {
  launch.args = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', '--disable-extensions', `--user-data-dir=${userDataDir}`];
}

// filled reads the diagnose form and the paste summary.
async function filled(page) {
  return page.evaluate(() => {
    const q = s => document.querySelector(s);
    const t = el => el ? el.textContent.replace(/\s+/g, ' ').trim() : null;
    const checked = q('input[name="credentials"]:checked');
    return {
      url: q('#f-url').value,
      origin: q('#f-origin').value,
      method: q('#f-method').value,
      credentials: checked ? checked.value : null,
      summary: t(q('[data-testid="import-summary"]')),
      reasonHref: q('[data-testid="import-reason"] a') && q('[data-testid="import-reason"] a').getAttribute('href'),
      missing: [...document.querySelectorAll('[data-testid="import-missing"] li')].map(li => li.dataset.testid),
    };
  });
}

let browser;
try {
  browser = await puppeteer.launch(launch);
  result.version = await browser.version();
  for (const js of [true, false]) {
    const run = { js };
    result.runs.push(run);
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    await page.setJavaScriptEnabled(js);
    page.on('console', m => { if (m.type() === 'error') result.consoleErrors.push(m.text()); });
    page.on('pageerror', e => result.pageErrors.push(String(e.message || e)));
    if (js) {
      await page.exposeFunction('__cspViolation', v => result.cspViolations.push(v));
      await page.evaluateOnNewDocument(() => {
        document.addEventListener('securitypolicyviolation', e => window.__cspViolation(`${e.violatedDirective} blocked ${e.blockedURI}`));
      });
    }
    await page.goto(args.dashboard, { waitUntil: 'load' });
    // Paste as a user does: into the box, then its button.
    await page.$eval('#f-paste', (el, v) => { el.value = v; }, args.paste);
    let nav = page.waitForNavigation({ waitUntil: 'load' });
    if (js) {
      // With JavaScript, pasting submits the box by itself.
      await page.$eval('#f-paste', el => el.dispatchEvent(new Event('paste', { bubbles: true })));
    } else {
      await page.click('[data-testid="paste-submit"]');
    }
    await nav;
    run.afterPaste = { path: new URL(page.url()).pathname, ...(await filled(page)) };
    nav = page.waitForNavigation({ waitUntil: 'load', timeout: 90000 });
    await page.click('[data-testid="submit"]');
    await nav;
    run.result = await page.evaluate(() => ({
      path: location.pathname,
      headline: (document.querySelector('[data-testid="headline"]') || {}).textContent?.replace(/\s+/g, ' ').trim() || null,
    }));
    if (args.screenshot && js) {
      await page.screenshot({ path: args.screenshot, fullPage: false });
    }
    await page.close();
  }
} catch (e) {
  result.error = String(e && e.stack || e);
} finally {
  if (browser) await browser.close().catch(() => {});
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(result) + '\n');
