/**
 * Renders a rehearsal: JSON (the report object), Markdown for a pull request,
 * or a self-contained HTML page (no network: an inline SVG timeline with each
 * step as a bar and the workload's latency drawn over it, and the per-step table).
 */
import type { RehearsalReport, ReportStep } from '../run.js';

export type RehearseFormat = 'json' | 'markdown' | 'html';

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  if (ms >= 3_600_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  if (ms >= 60_000) return `${(ms / 60_000).toFixed(1)} min`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms)} ms`;
}

export function fmtBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(0)} kB`;
  return `${n} B`;
}

/** The lock and how long production is predicted to hold it (a batched backfill holds its lock per batch only). */
function lockText(s: ReportStep): string {
  if (!s.lock) return 'none';
  const held = s.kind === 'backfill' ? 'per batch' : `held ~${fmtMs(s.predicted.ms)} in production`;
  return `${s.lock.mode} on ${s.lock.relation}, ${held}`;
}

export function renderJson(r: RehearsalReport): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}

export function renderMarkdown(r: RehearsalReport): string {
  const out: string[] = [];
  out.push(`## ddlguard rehearse: plan \`${r.planId}\``);
  out.push('');
  out.push(`Rehearsed on ${r.inputs.scratch} at scales ${r.inputs.scales.join(' and ')} of \`${r.database}\` (PostgreSQL ${r.pgVersion}); status **${r.status}**${r.error ? `: ${r.error}` : ''}.`);
  out.push('');
  out.push('| step | kind | predicted in production | rehearsed | lock | lock wait max | workload p50 / p99 / max | failed | WAL | extra disk |');
  out.push('|---|---|---|---|---|---|---|---|---|---|');
  for (const s of r.steps) {
    const w = s.rehearsed.workload;
    out.push(
      `| \`${s.id}\` | ${s.kind} | ${fmtMs(s.predicted.ms)} (${fmtMs(s.predicted.lowMs)} to ${fmtMs(s.predicted.highMs)}) | ${fmtMs(s.rehearsed.ms)} on ${s.rehearsed.rows} rows | ${lockText(s)} | ${fmtMs(s.rehearsed.lockWaitMaxMs)} | ${fmtMs(w.p50Ms)} / ${fmtMs(w.p99Ms)} / ${fmtMs(w.maxMs)} | ${w.failed} | ${fmtBytes(s.walBytes)} | ${fmtBytes(s.extraDiskBytes)} |`,
    );
  }
  if (r.naive) {
    out.push('');
    out.push('### The migration as written (`--naive`)');
    out.push('');
    out.push('| statement | rehearsed | workload max | failed | error |');
    out.push('|---|---|---|---|---|');
    for (const n of r.naive) out.push(`| \`${n.statement.replace(/\s+/g, ' ').slice(0, 80).replace(/\|/g, '\\|')}\` | ${fmtMs(n.ms)} | ${fmtMs(n.workload.maxMs)} | ${n.workload.failed} | ${n.error ?? ''} |`);
  }
  out.push('');
  out.push('<details><summary>Inputs of the prediction</summary>');
  out.push('');
  for (const s of r.steps) out.push(`- \`${s.id}\`: ${s.prediction.model}; rehearsals ${s.prediction.inputs.rehearsals.map((p) => (s.prediction.inputs.unit === 'none' ? `${p.ms} ms` : `${Math.round(p.size)} ${s.prediction.inputs.unit} in ${p.ms} ms`)).join(', ')}; production ${s.prediction.inputs.production === null ? 'unknown' : Math.round(s.prediction.inputs.production)} ${s.prediction.inputs.unit}`);
  for (const w of r.inputs.workload) out.push(`- workload: ${w}`);
  for (const m of r.inputs.missing) out.push(`- missing: ${m}`);
  for (const n of r.inputs.notes) out.push(`- note: ${n}`);
  out.push('');
  out.push('</details>');
  return `${out.join('\n')}\n`;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The timeline: steps as bars on one row each, the workload's latency as a line over them. */
export function timelineSvg(r: RehearsalReport): string {
  const W = 960;
  const left = 180;
  const rowH = 22;
  const chartH = 120;
  const total = Math.max(1, r.timeline.durationMs);
  const x = (ms: number) => left + ((W - left - 10) * Math.max(0, ms)) / total;
  const barsTop = chartH + 20;
  const H = barsTop + r.steps.length * rowH + 30;
  const parts: string[] = [];
  parts.push(`<svg id="timeline" xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="rehearsal timeline">`);
  parts.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#fff"/>`);
  const maxLat = Math.max(1, ...r.timeline.latency.map((p) => p[1]));
  const y = (ms: number) => chartH - (chartH - 10) * (ms / maxLat);
  parts.push(`<text x="4" y="14" font-size="11" fill="#333">workload latency (max ${fmtMs(maxLat)})</text>`);
  parts.push(`<line x1="${left}" y1="${chartH}" x2="${W - 10}" y2="${chartH}" stroke="#999"/>`);
  r.steps.forEach((s, i) => {
    const top = barsTop + i * rowH;
    const x0 = x(s.rehearsed.startMs);
    const w = Math.max(2, x(s.rehearsed.endMs) - x0);
    const color = s.kind === 'backfill' ? '#4e79a7' : s.kind === 'index' ? '#59a14f' : s.kind === 'rewrite' ? '#e15759' : s.kind === 'scan' ? '#f28e2b' : '#9c9c9c';
    parts.push(`<rect class="step-shade" x="${x0.toFixed(1)}" y="10" width="${w.toFixed(1)}" height="${chartH - 10}" fill="${color}" opacity="0.08"/>`);
    parts.push(`<text x="4" y="${top + 15}" font-size="11" fill="#333">${esc(s.id.length > 28 ? `${s.id.slice(0, 27)}…` : s.id)}</text>`);
    parts.push(`<rect class="step-bar" data-step="${esc(s.id)}" x="${x0.toFixed(1)}" y="${top + 3}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="${color}"><title>${esc(`${s.id}: ${fmtMs(s.rehearsed.ms)} rehearsed, ${fmtMs(s.predicted.ms)} predicted in production`)}</title></rect>`);
  });
  if (r.timeline.latency.length) {
    const pts = r.timeline.latency.map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(' ');
    parts.push(`<polyline class="latency" points="${pts}" fill="none" stroke="#222" stroke-width="1"/>`);
    for (const p of r.timeline.latency) if (p[2]) parts.push(`<circle cx="${x(p[0]).toFixed(1)}" cy="${y(p[1]).toFixed(1)}" r="3" fill="#d00"><title>failed query</title></circle>`);
  }
  parts.push(`<text x="${left}" y="${H - 8}" font-size="11" fill="#333">0</text><text x="${W - 60}" y="${H - 8}" font-size="11" fill="#333">${fmtMs(total)}</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}

export function renderHtml(r: RehearsalReport): string {
  const rows = r.steps
    .map((s) => {
      const w = s.rehearsed.workload;
      return `<tr><td><code>${esc(s.id)}</code></td><td>${s.kind}</td><td>${fmtMs(s.predicted.ms)} <small>(${fmtMs(s.predicted.lowMs)}–${fmtMs(s.predicted.highMs)})</small></td><td>${fmtMs(s.rehearsed.ms)} <small>${s.rehearsed.rows} rows</small></td><td>${esc(lockText(s))}</td><td>${fmtMs(s.rehearsed.lockWaitMaxMs)}</td><td>${fmtMs(w.p50Ms)} / ${fmtMs(w.p99Ms)} / ${fmtMs(w.maxMs)}</td><td>${w.failed}</td><td>${fmtBytes(s.walBytes)}</td><td>${fmtBytes(s.extraDiskBytes)}</td></tr>`;
    })
    .join('\n');
  const inputs = [...r.steps.map((s) => `${s.id}: ${s.prediction.model}`), ...r.inputs.workload.map((w) => `workload: ${w}`), ...r.inputs.missing.map((m) => `missing: ${m}`), ...r.inputs.notes.map((n) => `note: ${n}`)]
    .map((l) => `<li>${esc(l)}</li>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ddlguard rehearse: ${esc(r.planId)}</title>
<style>body{font:14px/1.4 system-ui,sans-serif;margin:20px;color:#222}table{border-collapse:collapse;margin-top:12px}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f4f4f4}small{color:#666}</style>
</head><body>
<h1>Rehearsal of plan <code>${esc(r.planId)}</code></h1>
<p>${esc(`${r.inputs.scratch}, scales ${r.inputs.scales.join(' and ')} of ${r.database} (PostgreSQL ${r.pgVersion}); status ${r.status}${r.error ? `: ${r.error}` : ''}`)}</p>
${timelineSvg(r)}
<table id="steps"><thead><tr><th>step</th><th>kind</th><th>predicted in production</th><th>rehearsed</th><th>lock</th><th>lock wait max</th><th>workload p50 / p99 / max</th><th>failed</th><th>WAL</th><th>extra disk</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<h2>Inputs</h2><ul>${inputs}</ul>
</body></html>
`;
}

export function renderReport(r: RehearsalReport, format: RehearseFormat): string {
  return format === 'json' ? renderJson(r) : format === 'html' ? renderHtml(r) : renderMarkdown(r);
}
