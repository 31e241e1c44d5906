// rootcause.mjs opens one diagnosis page in a real headless browser, reads
// its "Fix this first" box, picks another stack in the box's select, submits
// the GET form, and reads the box again; it prints what it saw as one JSON
// object on stdout for e2e_test.go to judge.
//
//   node rootcause.mjs --browser chromium --page URL --stack ID
//
// Like dashboard.mjs it reuses the harness's puppeteer-core
// (CORSDOCTOR_HARNESS_DIR), and it records console errors and
// Content-Security-Policy violations on the way.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    browser: { type: 'string', default: 'chromium' },
    page: { type: 'string' },
    stack: { type: 'string' },
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

const result = { browser: args.browser, consoleErrors: [], cspViolations: [], pageErrors: [] };
const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'corsdoctor-e2e-rc-'));
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

// box reads the "Fix this first" box as the reader sees it.
async function box(page) {
  return page.evaluate(() => {
    const q = s => document.querySelector(s);
    const t = el => el ? el.textContent.replace(/\s+/g, ' ').trim() : null;
    const sel = q('[data-testid="stack-select"]');
    const box = q('[data-testid="root-cause"]');
    return {
      url: location.href,
      present: !!box,
      firstAfterVerdict: !!box && box.previousElementSibling && box.previousElementSibling.dataset.testid === 'verdict',
      summary: t(q('[data-testid="rc-summary"]')),
      layer: t(q('[data-testid="rc-layer"]')),
      stack: q('[data-testid="rc-stack"]') && q('[data-testid="rc-stack"]').dataset.stack,
      stackName: t(q('[data-testid="rc-stack-name"]')),
      unverified: !!q('[data-testid="rc-unverified"]'),
      selected: sel ? sel.value : null,
      snippet: q('#fix-snippet') ? q('#fix-snippet').textContent : null,
      copyVisible: !!q('[data-copy-target="fix-snippet"]') && !q('[data-copy-target="fix-snippet"]').hidden,
      collapsed: document.querySelectorAll('[data-testid="collapsed-finding"]').length,
      redCards: document.querySelectorAll('[data-testid="finding"][data-severity="error"]').length,
      shareLink: q('[data-testid="share-link"]') && q('[data-testid="share-link"]').dataset.copyText,
    };
  });
}

let browser;
try {
  browser = await puppeteer.launch(launch);
  result.version = await browser.version();
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  page.on('console', m => { if (m.type() === 'error') result.consoleErrors.push(m.text()); });
  page.on('pageerror', e => result.pageErrors.push(String(e.message || e)));
  await page.exposeFunction('__cspViolation', v => result.cspViolations.push(v));
  await page.evaluateOnNewDocument(() => {
    document.addEventListener('securitypolicyviolation', e => window.__cspViolation(`${e.violatedDirective} blocked ${e.blockedURI}`));
  });

  await page.goto(args.page, { waitUntil: 'load' });
  result.before = await box(page);

  // Pick another stack and submit the GET form, as a reader would.
  await page.select('[data-testid="stack-select"]', args.stack);
  const nav = page.waitForNavigation({ waitUntil: 'load' });
  await page.click('[data-testid="stack-submit"]');
  await nav;
  result.after = await box(page);

  // The snippet's copy button copies exactly the snippet.
  if (args.browser === 'chromium') {
    await browser.defaultBrowserContext().overridePermissions(new URL(args.page).origin, ['clipboard-read', 'clipboard-write', 'clipboard-sanitized-write']);
    await page.click('[data-copy-target="fix-snippet"]');
    await new Promise(r => setTimeout(r, 200));
    result.clipboard = await page.evaluate(() => navigator.clipboard.readText());
  }

  // Narrow screens: the box does not overflow.
  await page.setViewport({ width: 375, height: 800 });
  await page.reload({ waitUntil: 'load' });
  result.narrowOverflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
} catch (e) {
  result.error = String(e && e.stack || e);
} finally {
  if (browser) await browser.close().catch(() => {});
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(result) + '\n');
