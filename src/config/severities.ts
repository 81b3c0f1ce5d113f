import type { RuleMeta, SeveritySetting } from '../lint/types.js';

/**
 * Effective severity per rule id, for the engine's `severities`: each rule's
 * default, then the config's `rules`, then the command line's overrides.
 */
export function resolveSeverities(
  rules: readonly RuleMeta[],
  ...layers: ReadonlyArray<Readonly<Record<string, SeveritySetting>> | undefined>
): Map<string, SeveritySetting> {
  const out = new Map<string, SeveritySetting>(rules.map((r) => [r.id, r.defaultSeverity]));
  for (const layer of layers) {
    if (!layer) continue;
    for (const [id, s] of Object.entries(layer)) out.set(id, s);
  }
  return out;
}
