import { describe, expect, it } from 'vitest';
import { redactText, urlSecrets } from '../../src/db/connection.js';

describe('redactText', () => {
  it('masks the password of a URL, a password= pair and a known secret standing alone', () => {
    const url = 'postgresql://app:hunter2@db:5432/app';
    const out = redactText(`connect ${url} failed; password=hunter2; the secret hunter2 again`, urlSecrets(url));
    expect(out).not.toContain('hunter2');
    expect(out).toContain('postgresql://app:***@db:5432/app');
  });

  it('a password equal to a common word does not mask the scheme or longer names', () => {
    const url = 'postgresql://postgres:postgres@localhost/postgres_test';
    const out = redactText(`could not reach ${url}; database postgres_test; user postgres`, urlSecrets(url));
    // The scheme and the longer database name stay; the user name equals the password, so it is masked too.
    expect(out).toBe('could not reach postgresql://***:***@localhost/postgres_test; database postgres_test; user ***');
  });

  it('masks secrets that start or end with punctuation wherever they appear', () => {
    const out = redactText('token:!p@ss and x!p@ss and !p@ssy', ['!p@ss']);
    expect(out).toBe('token:*** and x*** and !p@ssy');
  });
});
