/**
 * Wave assignment (pure): the resolved targets, in order, into the fleet file's waves. A
 * wave takes named targets (`*` and `?` match any characters), a count, or a cumulative
 * percentage of all targets (`percent: 25`: once the wave ends, a quarter of the fleet is
 * done; rounded up, so a wave above 0 % is never empty by rounding). Every target must land
 * in exactly one wave: end with `percent: 100`.
 */
import { didYouMean } from '../config/validator.js';
import { FleetError } from './errors.js';
import { waveGates } from './file.js';
import type { AssignedWave, FleetSpec, FleetTarget } from './types.js';

function globRegex(pattern: string): RegExp {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`);
}

export function assignWaves(spec: Pick<FleetSpec, 'waves' | 'gates' | 'wavesAt'>, targets: readonly FleetTarget[]): AssignedWave[] {
  const total = targets.length;
  const taken = new Map<string, string>();
  const out: AssignedWave[] = [];
  for (const w of spec.waves) {
    const picked: FleetTarget[] = [];
    const take = (t: FleetTarget) => {
      taken.set(t.name, w.name);
      picked.push(t);
    };
    if ('targets' in w.select) {
      for (const { pattern, at } of w.select.targets) {
        const wild = /[*?]/.test(pattern);
        const re = globRegex(pattern);
        const matches = targets.filter((t) => (wild ? re.test(t.name) : t.name === pattern));
        if (matches.length === 0) {
          const dym = wild ? undefined : didYouMean(pattern, targets.map((t) => t.name));
          throw new FleetError(`${at}: waves: ${wild ? `no target matches ${JSON.stringify(pattern)}` : `no target named ${JSON.stringify(pattern)}`}${dym ? ` (did you mean ${dym}?)` : ''}`);
        }
        for (const t of matches) {
          const other = taken.get(t.name);
          if (other === w.name) continue;
          if (other !== undefined) {
            if (wild) continue;
            throw new FleetError(`${at}: waves: target ${JSON.stringify(t.name)} is already in wave ${JSON.stringify(other)}`);
          }
          take(t);
        }
      }
    } else {
      const want = 'count' in w.select ? taken.size + w.select.count : Math.ceil((w.select.percent * total) / 100 - 1e-9);
      for (const t of targets) {
        if (taken.size >= want) break;
        if (!taken.has(t.name)) take(t);
      }
    }
    out.push({ name: w.name, gates: waveGates(spec, w), targets: picked });
  }
  const left = targets.filter((t) => !taken.has(t.name));
  if (left.length > 0) {
    throw new FleetError(
      `${spec.wavesAt}: waves: ${left.length} of ${total} targets are in no wave (${left.slice(0, 5).map((t) => t.name).join(', ')}${left.length > 5 ? ', ...' : ''}); end with a wave of percent: 100`,
    );
  }
  return out;
}
