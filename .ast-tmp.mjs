import * as pg from 'libpg-query';
await pg.loadModule();
const q = process.argv[2];
console.log(JSON.stringify(pg.parseSync(q), null, 1));
