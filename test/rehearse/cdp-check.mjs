// Opens an HTML file in headless Chromium through the DevTools protocol and prints, as JSON:
// the console errors and exceptions, the timeline's step bars (count and total drawn width),
// and the size of a screenshot. Run with `node --experimental-websocket` on Node 20.
// Usage: node --experimental-websocket cdp-check.mjs <chromium> <file.html> <screenshot.png>
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [chromium, file, shot] = process.argv.slice(2);
const profile = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-chromium-'));
const proc = spawn(chromium, ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', `--user-data-dir=${profile}`, '--remote-debugging-port=0', '--window-size=1200,900', 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe'] });
const wsUrl = await new Promise((resolve, reject) => {
  let buf = '';
  const t = setTimeout(() => reject(new Error(`chromium did not start: ${buf}`)), 30000);
  proc.stderr.on('data', (d) => {
    buf += d;
    const m = buf.match(/DevTools listening on (ws:\/\/\S+)/);
    if (m) {
      clearTimeout(t);
      resolve(m[1]);
    }
  });
});
const browser = new WebSocket(wsUrl);
await new Promise((r) => browser.addEventListener('open', r));
let id = 0;
const pending = new Map();
const events = [];
browser.addEventListener('message', (m) => {
  const msg = JSON.parse(m.data);
  if (msg.id && pending.has(msg.id)) {
    pending.get(msg.id)(msg);
    pending.delete(msg.id);
  } else events.push(msg);
});
const send = (method, params = {}, sessionId) =>
  new Promise((resolve) => {
    const i = ++id;
    pending.set(i, resolve);
    browser.send(JSON.stringify({ id: i, method, params, ...(sessionId ? { sessionId } : {}) }));
  });
const { result: target } = await send('Target.createTarget', { url: 'about:blank' });
const { result: att } = await send('Target.attachToTarget', { targetId: target.targetId, flatten: true });
const s = att.sessionId;
await send('Runtime.enable', {}, s);
await send('Log.enable', {}, s);
await send('Page.enable', {}, s);
await send('Page.navigate', { url: `file://${path.resolve(file)}` }, s);
await new Promise((r) => setTimeout(r, 1500));
const { result: ev } = await send(
  'Runtime.evaluate',
  { expression: `JSON.stringify({ bars: document.querySelectorAll('#timeline .step-bar').length, width: [...document.querySelectorAll('#timeline .step-bar')].reduce((a, e) => a + e.getBBox().width, 0), latencyPoints: (document.querySelector('#timeline .latency')?.points?.numberOfItems ?? 0), rows: document.querySelectorAll('#steps tbody tr').length })`, returnByValue: true },
  s,
);
const { result: png } = await send('Page.captureScreenshot', { format: 'png' }, s);
const bytes = Buffer.from(png.data, 'base64');
writeFileSync(shot, bytes);
const errors = events
  .filter((e) => e.sessionId === s)
  .filter((e) => (e.method === 'Runtime.consoleAPICalled' && e.params.type === 'error') || e.method === 'Runtime.exceptionThrown' || (e.method === 'Log.entryAdded' && e.params.entry.level === 'error'))
  .map((e) => JSON.stringify(e.params).slice(0, 300));
process.stdout.write(JSON.stringify({ ...JSON.parse(ev.result.value), screenshotBytes: bytes.length, errors }) + '\n');
browser.close();
const exited = new Promise((r) => proc.once('exit', r));
proc.kill();
await exited;
try {
  rmSync(profile, { recursive: true, force: true, maxRetries: 5 });
} catch {
  // a crash-reporter file written late: the directory is in the temporary folder
}
process.exit(0);
