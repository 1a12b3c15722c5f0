#!/usr/bin/env node
// Regenerates Sightline's sample data from the fictional "Parley" site in ../site:
//   ../screenshots/<page>-<width>.png   full-page screenshots at CSS widths 1440, 768, 390
//   ../layouts/<page>-<width>.json      element boxes (page CSS px) for the synthetic session generator
//   ../recordings/<visit>.json          real rrweb recordings of scripted visits (one JSON array per visit)
//   ../fidelity/<page>-<width>.json     [Meta, FullSnapshot] of one page load per screenshot, recorded with rrweb's
//                                       text masking and blocking off (only passwords masked), for comparing the
//                                       replayed page with the screenshot
//   ../manifest.csv, ../consent.csv, ../surveys.csv   fictional subjects, consent and survey answers
//
// Usage (from this folder):
//   npm ci && node make-samples.mjs                 # everything
//   node make-samples.mjs screenshots|recordings|fidelity|tables   # only one part
//   node make-samples.mjs recordings mobile         # only the visits whose file name contains 'mobile'
// Dependencies may live elsewhere: SAMPLES_DEPS_DIR=/tmp/deps node make-samples.mjs
// (a folder whose node_modules holds playwright-core and rrweb at the versions in package.json).
// Needs a Chromium binary (CHROMIUM=/usr/bin/chromium by default); never downloads a browser.
// The site is served from http://127.0.0.1:8765 only (PORT to override), loopback only. Chromium maps the
// app's own host, app.parley.example, to that server (--host-resolver-rules), so pages are loaded as
// http://app.parley.example/<page>.html and that is the href the recordings (and fidelity files) carry.
//
// This script is not part of the Rust build.

import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, extname, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const SITE = join(ROOT, 'site');
const PORT = Number(process.env.PORT || 8765);
const BASE = `http://127.0.0.1:${PORT}`;            // where the local server listens
const APP_HOST = 'app.parley.example';               // the host the browser (and the recordings) see
const APP_BASE = `http://${APP_HOST}`;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const depsBase = process.env.SAMPLES_DEPS_DIR ? join(process.env.SAMPLES_DEPS_DIR, 'noop.js') : import.meta.url;
const require = createRequire(depsBase);
const { chromium } = require('playwright-core');
const RRWEB_UMD = join(dirname(require.resolve('rrweb')), 'rrweb.umd.cjs');

const PAGES = ['inbox', 'conversation', 'signup', 'settings-privacy', 'pricing'];
const WIDTHS = [1440, 768, 390];
const LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  `--host-resolver-rules=MAP ${APP_HOST} 127.0.0.1:${PORT}`];

// ---------- deterministic randomness for pointer paths ----------
let seed = 20261101;
function rand() { // mulberry32
  seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const between = (a, b) => a + (b - a) * rand();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------- static server on loopback ----------
const TYPES = { '.html': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png' };
function serve() {
  const server = createServer((req, res) => {
    const url = new URL(req.url, BASE);
    const rel = normalize(decodeURIComponent(url.pathname)).replace(/^([/\\])+/, '') || 'inbox.html';
    const file = join(SITE, rel);
    if (!file.startsWith(SITE)) { res.writeHead(403); res.end(); return; }
    try {
      const body = readFileSync(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] || 'application/octet-stream', 'cache-control': 'no-store' });
      res.end(body);
    } catch { res.writeHead(404); res.end('not found'); }
  });
  return new Promise((resolve) => server.listen(PORT, '127.0.0.1', () => resolve(server)));
}

function contextOptions(width) {
  if (width <= 480) return { viewport: { width, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true };
  return { viewport: { width, height: 900 }, deviceScaleFactor: 1 };
}

// ---------- layouts ----------
// Runs in the page: collects visible interactive elements and major regions with page-CSS-px boxes.
function collectLayout() {
  const INTERACTIVE = 'a[href], button, input, select, textarea, summary';
  const REGIONS = 'header, nav, main, footer, aside, section, article, figure, form, fieldset, table, .card, .thread-list, .messages, .message, h1, #logo';
  const PRIVATE = '.rr-mask, .rr-block, .ph-no-capture, [data-private]';
  const seen = new Set(); const out = [];
  const sx = window.scrollX, sy = window.scrollY;
  const pageW = document.documentElement.scrollWidth, pageH = document.documentElement.scrollHeight;
  const clean = (s) => (s || '').replace(/\s+/g, ' ').trim();
  const short = (s) => { s = clean(s); return s.length > 48 ? s.slice(0, 45).trimEnd() + '…' : s; };
  function selectorOf(el) {
    if (el.id) return `${el.tagName.toLowerCase()}#${el.id}`;
    const parts = [];
    let e = el;
    while (e && e !== document.body && !e.id) {
      const tag = e.tagName.toLowerCase();
      const sibs = Array.from(e.parentElement.children).filter((c) => c.tagName === e.tagName);
      parts.unshift(sibs.length > 1 ? `${tag}:nth-of-type(${sibs.indexOf(e) + 1})` : tag);
      e = e.parentElement;
    }
    if (e && e.id) parts.unshift(`${e.tagName.toLowerCase()}#${e.id}`);
    else parts.unshift('body');
    return parts.join(' > ');
  }
  function visible(el) {
    const cs = getComputedStyle(el);
    if (cs.visibility === 'hidden' || cs.display === 'none' || Number(cs.opacity) === 0) return false;
    if (el.closest('[hidden]')) return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  }
  function labelOf(el, role, idx) {
    const tag = el.tagName.toLowerCase();
    if (el.matches('.message')) return `Message ${idx.message = (idx.message || 0) + 1}`;
    if (el.matches('.thread')) return `Conversation thread ${idx.thread = (idx.thread || 0) + 1}`;
    if (role === 'input') {
      const lab = el.id && document.querySelector(`label[for="${el.id}"]`);
      let t = el.getAttribute('aria-label') || (lab && clean(lab.innerText)) || el.name || tag;
      if (el.type === 'checkbox') t = t.replace(/ —.*$/, '');
      return short(t);
    }
    if (el.matches(PRIVATE) || el.querySelector(PRIVATE) && role === 'text') return 'Private content';
    if (role === 'image') return short(el.getAttribute('aria-label') || el.getAttribute('alt') || 'image');
    if (role === 'region') {
      const aria = el.getAttribute('aria-label');
      if (aria) return short(aria);
      if (['main', 'header', 'footer'].includes(tag)) return el.id || tag;
      const h = Array.from(el.querySelectorAll('h1, h2, h3, legend')).find((n) => visible(n) && !n.closest(PRIVATE));
      if (h) return short(h.innerText);
      return el.id ? el.id : tag;
    }
    let t = el.getAttribute('aria-label') || el.innerText;
    if (el.querySelector(PRIVATE)) {
      const copy = el.cloneNode(true);
      copy.querySelectorAll(PRIVATE).forEach((n) => n.remove());
      t = copy.textContent;
    }
    return short(t) || tag;
  }
  function roleOf(el) {
    const tag = el.tagName.toLowerCase();
    if (tag === 'a') return 'link';
    if (tag === 'button' || tag === 'summary') return 'button';
    if (['input', 'select', 'textarea'].includes(tag)) return 'input';
    if (tag === 'svg' || tag === 'img') return 'image';
    if (/^h[1-6]$/.test(tag) || tag === 'p') return 'text';
    return 'region';
  }
  const idx = {};
  const all = Array.from(document.querySelectorAll(`${INTERACTIVE}, ${REGIONS}`));
  for (const el of all) {
    if (seen.has(el) || !visible(el)) continue;
    seen.add(el);
    const r = el.getBoundingClientRect();
    const role = roleOf(el);
    const interactive = el.matches(INTERACTIVE) && !el.disabled;
    let x = r.left + sx, y = r.top + sy, w = r.width, h = r.height;
    // clamp to the page box (e.g. ellipsised text can report a wider box)
    const x2 = Math.min(x + w, pageW), y2 = Math.min(y + h, pageH);
    x = Math.max(0, x); y = Math.max(0, y); w = x2 - x; h = y2 - y;
    out.push({
      selector: selectorOf(el), tag: el.tagName.toLowerCase(), role, id: el.id || '',
      label: labelOf(el, role, idx),
      x: Math.round(x * 10) / 10, y: Math.round(y * 10) / 10, width: Math.round(w * 10) / 10, height: Math.round(h * 10) / 10,
      interactive,
    });
  }
  return { page_height: pageH, page_width: pageW, elements: out };
}

async function screenshots(browser) {
  mkdirSync(join(ROOT, 'screenshots'), { recursive: true });
  mkdirSync(join(ROOT, 'layouts'), { recursive: true });
  for (const width of WIDTHS) {
    const ctx = await browser.newContext(contextOptions(width));
    const page = await ctx.newPage();
    for (const name of PAGES) {
      await page.goto(`${APP_BASE}/${name}.html`, { waitUntil: 'load' });
      await page.evaluate(() => document.fonts.ready);
      const png = join(ROOT, 'screenshots', `${name}-${width}.png`);
      await page.screenshot({ path: png, fullPage: true, animations: 'disabled', caret: 'hide' });
      const lay = await page.evaluate(collectLayout);
      if (lay.page_width > width) throw new Error(`${name}-${width}: horizontal overflow (${lay.page_width}px wide)`);
      const doc = { page: `${name}.html`, css_width: width, page_height: lay.page_height, elements: lay.elements };
      writeFileSync(join(ROOT, 'layouts', `${name}-${width}.json`), JSON.stringify(doc, null, 1) + '\n');
      console.log(`shot ${name}-${width}: ${lay.page_height}px, ${lay.elements.length} elements`);
    }
    await ctx.close();
  }
  // optional lossless shrink
  for (const name of PAGES) for (const width of WIDTHS) {
    const png = join(ROOT, 'screenshots', `${name}-${width}.png`);
    try { execFileSync('optipng', ['-quiet', '-o2', '-strip', 'all', png]); } catch { /* optipng not installed: keep as is */ }
  }
}

// ---------- human-like input ----------
class Human {
  constructor(page, touch) { this.page = page; this.touch = touch; this.x = between(200, 400); this.y = between(100, 200); }
  async pause(a = 300, b = 900) { await sleep(between(a, b)); }
  async box(selector) {
    const el = this.page.locator(selector).first();
    await el.waitFor({ state: 'visible' });
    return el.boundingBox();
  }
  // scroll (wheel on desktop, touch swipe on mobile) until the element is comfortably in view
  async reveal(selector) {
    const vh = this.page.viewportSize().height;
    for (let i = 0; i < 40; i++) {
      const b = await this.box(selector);
      if (b.y >= 70 && b.y + b.height <= vh - 40) return b;
      const want = b.y + b.height / 2 - vh * between(0.4, 0.55);
      const dy = Math.sign(want) * Math.min(Math.abs(want), between(240, 420));
      await this.scroll(dy);
      const after = await this.box(selector);
      if (Math.abs(after.y - b.y) < 1) return after; // cannot scroll further
    }
    return this.box(selector);
  }
  async scroll(dy) {
    if (this.touch) {
      // a finger swipe made of real touch events (Input.synthesizeScrollGesture does not scroll in headless mode)
      const vp = this.page.viewportSize();
      const travel = Math.min(Math.abs(dy), vp.height * 0.55);
      const x0 = vp.width * between(0.4, 0.7);
      const y0 = dy > 0 ? vp.height * between(0.7, 0.8) : vp.height * between(0.2, 0.3);
      const dir = dy > 0 ? -1 : 1;
      const steps = Math.max(6, Math.round(travel / 22));
      const cdp = await this.page.context().newCDPSession(this.page);
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x: x0, y: y0 }] });
      for (let i = 1; i <= steps; i++) {
        const t = i / steps;
        await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ x: x0 + 12 * t * t, y: y0 + dir * travel * t }] });
        await sleep(between(12, 20));
      }
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
      await cdp.detach();
      await this.pause(450, 800);
    } else {
      const steps = Math.max(1, Math.round(Math.abs(dy) / 100));
      for (let i = 0; i < steps; i++) { await this.page.mouse.wheel(0, dy / steps); await sleep(between(40, 90)); }
      await this.pause(250, 600);
    }
  }
  async moveTo(x, y) {
    if (this.touch) { this.x = x; this.y = y; return; }
    const x0 = this.x, y0 = this.y;
    const dist = Math.hypot(x - x0, y - y0);
    const steps = Math.max(6, Math.min(45, Math.round(dist / 18)));
    const cx = (x0 + x) / 2 + between(-0.25, 0.25) * dist, cy = (y0 + y) / 2 + between(-0.25, 0.25) * dist;
    for (let i = 1; i <= steps; i++) {
      const t0 = i / steps, t = t0 * t0 * (3 - 2 * t0); // ease in/out
      const px = (1 - t) * (1 - t) * x0 + 2 * (1 - t) * t * cx + t * t * x;
      const py = (1 - t) * (1 - t) * y0 + 2 * (1 - t) * t * cy + t * t * y;
      await this.page.mouse.move(px + between(-0.8, 0.8), py + between(-0.8, 0.8));
      await sleep(between(8, 22));
    }
    this.x = x; this.y = y;
  }
  pointIn(b) { return [b.x + b.width * between(0.3, 0.7), b.y + b.height * between(0.3, 0.7)]; }
  async hover(selector) { const b = await this.reveal(selector); const [x, y] = this.pointIn(b); await this.moveTo(x, y); await this.pause(200, 600); }
  async click(selector) {
    const b = await this.reveal(selector);
    const [x, y] = this.pointIn(b);
    if (this.touch) { await this.pause(250, 600); await this.page.touchscreen.tap(x, y); }
    else {
      await this.moveTo(x, y); await this.pause(80, 220);
      await this.page.mouse.down(); await sleep(between(50, 120)); await this.page.mouse.up();
    }
    await this.pause(300, 700);
  }
  async rage(selector, n = 4) {
    const b = await this.reveal(selector);
    const [x, y] = this.pointIn(b);
    if (!this.touch) await this.moveTo(x, y);
    for (let i = 0; i < n; i++) {
      const jx = x + between(-3, 3), jy = y + between(-2, 2);
      if (this.touch) await this.page.touchscreen.tap(jx, jy);
      else { await this.page.mouse.move(jx, jy); await this.page.mouse.down(); await sleep(between(35, 60)); await this.page.mouse.up(); }
      await sleep(between(70, 130));
    }
    await this.pause(600, 1000);
  }
  async type(selector, text) {
    await this.click(selector);
    for (const ch of text) { await this.page.keyboard.type(ch); await sleep(between(45, 160)); }
    await this.pause(300, 700);
  }
  async choose(selector, label) { await this.click(selector); await this.page.keyboard.press('Escape'); await this.page.selectOption(selector, { label }); await this.pause(); }
  async navigate(selector) {
    await Promise.all([this.page.waitForNavigation({ waitUntil: 'load' }), this.click(selector)]);
    await this.page.waitForFunction(() => window.__rrStarted === true);
    await this.pause(700, 1200);
  }
  async menu(selector) { // mobile: open the collapsed nav first
    if (this.touch && !(await this.page.locator(selector).isVisible())) await this.click('#nav-toggle');
    await this.navigate(selector);
  }
  async browse(n = 3, dy = 320) { for (let i = 0; i < n; i++) { await this.scroll(dy * between(0.8, 1.2)); if (!this.touch) await this.moveTo(this.x + between(-120, 120), Math.max(80, Math.min(800, this.y + between(-80, 80)))); } }
}

// ---------- recordings ----------
// The in-page starter: rrweb.record() with `options` (JSON-serialisable) once the DOM is parsed.
function recorderScript(options) {
  return `
(function () {
  if (window.top !== window || location.protocol !== 'http:') return;
  function start() {
    if (window.__rrStarted) return;
    window.__rrStarted = true;
    rrweb.record(Object.assign({
      emit: function (event) { window.__sightlineEmit(JSON.stringify(event)); }
    }, ${JSON.stringify(options)}));
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start); else start();
})();`;
}
// rrweb's defaults (mask text in .rr-mask, block .rr-block) with only password values masked.
const RECORDER = recorderScript({ maskInputOptions: { password: true } });

// A context like the screenshots' with rrweb injected into every page load; `events` collects what it emits.
async function recordingContext(browser, width, recorder) {
  const ctx = await browser.newContext(contextOptions(width));
  const events = [];
  await ctx.exposeBinding('__sightlineEmit', (_src, json) => { events.push(JSON.parse(json)); });
  await ctx.addInitScript({ content: readFileSync(RRWEB_UMD, 'utf8') + '\n;' + recorder });
  return { ctx, events };
}

// started_at for each visit: the recording's timestamps are shifted by one constant so the first event
// falls at this instant (relative timing is untouched). Keep in sync with ../manifest.csv.
const VISITS = [
  { file: 'desktop-inbox-conversation.json', width: 1440, start: 'inbox', startedAt: '2026-11-03T09:14:05Z', script: async (h) => {
    await h.hover('#thread-1'); await h.hover('#thread-3');
    await h.type('#search', 'design');
    await h.browse(3, 300); await h.browse(2, -380);
    await h.hover('#ch-design');
    await h.navigate('#thread-2');
    await h.browse(2, 300);
    await h.hover('#msg-10');
    await h.type('#compose', 'See you at 3pm');
    await h.click('#attach'); await h.rage('#attach', 4);
    await h.click('#send');
    await h.browse(1, -300);
    await h.navigate('#nav-inbox');
    await h.hover('#thread-4');
  } },
  { file: 'desktop-signup-consent.json', width: 1440, start: 'pricing', startedAt: '2026-11-04T14:32:40Z', script: async (h) => {
    await h.hover('#plan-team');
    await h.navigate('#start-trial');
    await h.type('#name', 'Ada Parley-Test');
    await h.type('#email', 'ada@parley.example');
    await h.type('#phone', '+1 555 0142');
    await h.type('#password', 'not-a-real-pass1');
    await h.choose('#team-size', '11–50');
    await h.click('#consent-heatmaps'); await h.click('#consent-recordings');
    await h.click('#terms');
    await h.click('#signup-submit');
    await h.hover('#signup-done');
    await h.navigate('#nav-inbox');
  } },
  { file: 'tablet-pricing-scroll.json', width: 768, start: 'pricing', startedAt: '2026-11-06T11:02:13Z', script: async (h) => {
    await h.hover('#start-trial');
    await h.browse(10, 360);
    await h.click('#faq-3 summary'); await h.click('#faq-5 summary');
    await h.browse(3, 360);
    await h.hover('#start-trial-bottom');
    await h.browse(8, -450);
    await h.hover('#plan-enterprise');
    await h.navigate('#start-trial');
    await h.hover('#consent');
  } },
  { file: 'mobile-inbox-conversation.json', width: 390, start: 'inbox', startedAt: '2026-11-09T07:48:51Z', script: async (h) => {
    await h.browse(3, 350); await h.browse(2, -400);
    await h.navigate('#thread-1');
    await h.browse(3, 380);
    await h.type('#compose', 'See you at 3pm');
    await h.rage('#attach', 4);
    await h.click('#send');
    await h.menu('#nav-inbox');
  } },
  { file: 'mobile-signup-heatmaps-only.json', width: 390, start: 'inbox', startedAt: '2026-11-12T19:20:07Z', script: async (h) => {
    await h.browse(1, 250);
    await h.menu('#nav-signup');
    await h.type('#name', 'Ben Sample');
    await h.type('#email', 'ben@parley.example');
    await h.type('#phone', '+1 555 0177');
    await h.type('#password', 'demo-pass-2026');
    await h.click('#consent-heatmaps');
    await h.click('#terms');
    await h.click('#signup-submit');
    await h.pause(800, 1200);
  } },
  { file: 'desktop-settings-privacy.json', width: 1440, start: 'inbox', startedAt: '2026-11-16T10:05:33Z', script: async (h) => {
    await h.hover('#thread-2');
    await h.navigate('#nav-settings');
    await h.hover('#user-email');
    await h.click('#pref-recordings'); await h.click('#pref-heatmaps'); await h.click('#pref-heatmaps');
    await h.choose('#retention', '30 days');
    await h.click('#save-privacy');
    await h.hover('#export-data');
    await h.navigate('#foot-pricing');
    await h.browse(3, 400);
  } },
  { file: 'tablet-conversation-checkout.json', width: 768, start: 'conversation', startedAt: '2026-11-20T16:41:18Z', script: async (h) => {
    await h.browse(2, 300);
    await h.type('#compose', 'Can we ship the pricing page on Friday?');
    await h.click('#send');
    await h.click('#attach');
    await h.navigate('#nav-pricing');
    await h.browse(4, 400);
    await h.type('#seats', '5');
    await h.type('#card-number', '4242 4242 4242 4242');
    await h.type('#card-expiry', '12 / 29');
    await h.click('#upgrade');
    await h.browse(2, 300);
  } },
  { file: 'mobile-pricing-trial.json', width: 390, start: 'pricing', startedAt: '2026-11-24T21:12:59Z', script: async (h) => {
    await h.browse(6, 420);
    await h.click('#faq-4 summary');
    await h.browse(5, -600);
    await h.click('#start-trial');
    await h.pause(800, 1300);
    await h.menu('#nav-settings');
    await h.click('#pref-recordings');
    await h.click('#save-privacy');
  } },
];

// ---------- CSV tables (deterministic; no browser needed) ----------
// Who made each recorded visit. consent_* must agree with the subject's rows in consent.csv.
const MANIFEST = {
  'desktop-inbox-conversation.json': ['u-1001', 'EU-DE', 'yes', 'yes', 'A', 'paid'],
  'desktop-signup-consent.json': ['u-1002', 'US-CA', 'yes', 'yes', 'B', 'trial'],
  'tablet-pricing-scroll.json': ['u-1003', 'UK', 'yes', 'yes', 'A', 'trial'],
  'mobile-inbox-conversation.json': ['u-1004', 'EU-FR', 'yes', 'yes', 'B', 'paid'],
  'mobile-signup-heatmaps-only.json': ['u-1005', 'EU-DE', 'yes', 'no', 'A', 'trial'],
  'desktop-settings-privacy.json': ['u-1006', 'US-NY', 'yes', 'yes', 'B', 'paid'],
  'tablet-conversation-checkout.json': ['u-1007', 'EU-FR', 'yes', 'yes', 'A', 'trial'],
  'mobile-pricing-trial.json': ['u-1008', 'US-CA', 'yes', 'yes', 'B', 'trial'],
};
const SURVEY_COMMENTS = [
  'Attach file button does nothing, clicked it many times', 'Clean and calm, love it', 'Pricing page is very long on my tablet',
  'Could not find where to turn off recordings', 'Fast to sign up', 'Please add dark mode', 'call me on +1 555 0199 about the invoice',
  'The menu on mobile is easy to use', 'Search should also look in channel names', 'Great privacy settings page',
  'mail ada@parley.example if you need more details', 'Emoji picker missing', 'Too many steps to upgrade',
  'Works fine on my tablet', 'Notifications are a bit noisy', 'Export my data took a while', 'Nice and simple',
  'Trial length is fine', 'The compare table helped me choose', 'Send button is hard to hit on mobile',
];
function tables() {
  seed = 4242;
  const csvLine = (cells) => cells.map((c) => (/[",\n]/.test(String(c)) ? `"${String(c).replace(/"/g, '""')}"` : c)).join(',');
  const man = [['session', 'subject', 'started_at', 'region', 'consent_heatmaps', 'consent_recordings', 'variant', 'cohort']];
  const known = new Map();
  for (const v of VISITS) {
    const [subject, region, heat, rec, variant, cohort] = MANIFEST[v.file];
    man.push([v.file, subject, v.startedAt, region, heat, rec, variant, cohort]);
    known.set(subject, { region, heat, rec, at: Date.parse(v.startedAt) });
  }
  writeFileSync(join(ROOT, 'manifest.csv'), man.map(csvLine).join('\n') + '\n');
  // consent.csv: 40 subjects x 2 purposes; grant rates vary by jurisdiction (about 75% overall)
  const REGIONS = ['EU-DE', 'EU-FR', 'UK', 'US-CA', 'US-NY'];
  const RATE = { 'EU-DE': 0.72, 'EU-FR': 0.78, UK: 0.82, 'US-CA': 0.92, 'US-NY': 0.95 };
  const con = [['subject', 'purpose', 'granted', 'jurisdiction', 'recorded_at']];
  let granted = 0;
  for (let n = 1001; n <= 1040; n++) {
    const subject = `u-${n}`;
    const k = known.get(subject);
    const region = k ? k.region : REGIONS[Math.floor(rand() * REGIONS.length)];
    const at = k ? k.at - Math.round(between(2, 20) * 86400e3) : Date.parse('2026-10-01T08:00:00Z') + Math.round(rand() * 58 * 86400e3);
    const stamp = new Date(Math.floor(at / 1000) * 1000).toISOString().replace('.000Z', 'Z');
    for (const purpose of ['heatmaps', 'recordings']) {
      let g = k ? (purpose === 'heatmaps' ? k.heat : k.rec) : (rand() < RATE[region] ? 'yes' : 'no');
      if (!k && purpose === 'recordings' && con.at(-1)[2] === 'no' && rand() < 0.5) g = 'no'; // refusals cluster per person
      granted += g === 'yes';
      con.push([subject, purpose, g, region, stamp]);
    }
  }
  writeFileSync(join(ROOT, 'consent.csv'), con.map(csvLine).join('\n') + '\n');
  // surveys.csv: 20 answers; the first 8 belong to the recorded visits, the rest to no recorded session
  const sur = [['subject', 'session', 'score', 'comment']];
  const files = VISITS.map((v) => v.file);
  for (let i = 0; i < 20; i++) {
    const subject = i < 8 ? MANIFEST[files[i]][0] : `u-${1009 + i * 1}`;
    const session = i < 8 ? files[i] : '';
    const comment = SURVEY_COMMENTS[i];
    const score = /nothing|hard|Too many|Could not|noisy|missing/.test(comment) ? 1 + Math.floor(rand() * 2) : 3 + Math.floor(rand() * 3);
    sur.push([subject, session, score, comment]);
  }
  writeFileSync(join(ROOT, 'surveys.csv'), sur.map(csvLine).join('\n') + '\n');
  console.log(`tables: ${man.length - 1} manifest rows, ${con.length - 1} consent rows (${Math.round((100 * granted) / (con.length - 1))}% granted), ${sur.length - 1} survey rows`);
}

async function record(browser, visit) {
  const { ctx, events } = await recordingContext(browser, visit.width, RECORDER);
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.warn(`  page error (${visit.file}): ${e.message}`));
  await page.goto(`${APP_BASE}/${visit.start}.html`, { waitUntil: 'load' });
  await page.waitForFunction(() => window.__rrStarted === true);
  const h = new Human(page, visit.width <= 480);
  await h.pause(800, 1400);
  try { await visit.script(h); } catch (e) {
    if (process.env.SAMPLES_DEBUG) await page.screenshot({ path: join(process.env.SAMPLES_DEBUG, `fail-${visit.file}.png`) });
    throw e;
  }
  await h.pause(900, 1200); // let rrweb flush batched mouse moves
  await ctx.close();
  events.sort((a, b) => a.timestamp - b.timestamp);
  const stray = events.filter((e) => e.type === 4 && !String(e.data.href).startsWith(`${APP_BASE}/`));
  if (stray.length) throw new Error(`${visit.file}: Meta href not on ${APP_BASE}: ${stray[0].data.href}`);
  const shift = Date.parse(visit.startedAt) - events[0].timestamp;
  for (const e of events) e.timestamp += shift;
  writeFileSync(join(ROOT, 'recordings', visit.file), JSON.stringify(events) + '\n');
  console.log(`recorded ${visit.file}: ${events.length} events, ${(events.at(-1).timestamp - events[0].timestamp) / 1000}s`);
}

// ---------- fidelity snapshots ----------
// rrweb's text masking and blocking are switched off (a class nothing in the site carries), only password values
// are masked: the replayed page must look like the screenshot. Sightline's importer never reads these files.
const FIDELITY_RECORDER = recorderScript({
  maskTextClass: 'sl-fidelity-never-matches', blockClass: 'sl-fidelity-never-matches', maskInputOptions: { password: true },
});

async function fidelity(browser) {
  mkdirSync(join(ROOT, 'fidelity'), { recursive: true });
  for (const width of WIDTHS) {
    for (const name of PAGES) {
      const { ctx, events } = await recordingContext(browser, width, FIDELITY_RECORDER); // one fresh page load
      const page = await ctx.newPage();
      page.on('pageerror', (e) => console.warn(`  page error (${name}-${width}): ${e.message}`));
      await page.goto(`${APP_BASE}/${name}.html`, { waitUntil: 'load' });
      await page.waitForFunction(() => window.__rrStarted === true);
      await page.evaluate(() => document.fonts.ready);
      const first = (type) => events.find((e) => e.type === type);
      for (let i = 0; i < 50 && !(first(4) && first(2)); i++) await sleep(100); // bindings deliver asynchronously
      await ctx.close();
      const meta = first(4), full = first(2);
      if (!meta || !full) throw new Error(`${name}-${width}: no Meta or FullSnapshot recorded`);
      if (meta.data.href !== `${APP_BASE}/${name}.html`) throw new Error(`${name}-${width}: Meta href ${meta.data.href}`);
      if (meta.data.width !== width) throw new Error(`${name}-${width}: Meta width ${meta.data.width}`);
      const json = JSON.stringify([meta, full]) + '\n';
      writeFileSync(join(ROOT, 'fidelity', `${name}-${width}.json`), json);
      console.log(`fidelity ${name}-${width}: ${meta.data.width}x${meta.data.height}, ${Buffer.byteLength(json)} bytes`);
    }
  }
}

async function main() {
  const what = process.argv[2] || 'all';
  const only = process.argv[3];
  if (what === 'all' || what === 'tables') tables();
  if (what === 'tables') return;
  const server = await serve();
  // chromium.launch() gives every run a fresh temporary user-data-dir (removed on close).
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
  try {
    if (what === 'all' || what === 'screenshots') await screenshots(browser);
    if (what === 'all' || what === 'recordings') {
      mkdirSync(join(ROOT, 'recordings'), { recursive: true });
      for (const [i, v] of VISITS.entries()) if (!only || v.file.includes(only)) { seed = 20261101 + i; await record(browser, v); }
    }
    if (what === 'all' || what === 'fidelity') await fidelity(browser);
  } finally {
    await browser.close();
    server.close();
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
