/** The differential oracle on PGlite, and the generator's own cases (see ./suite.ts). */
import { generatorCases, oracleSuite } from './suite.js';

oracleSuite(['pglite']);
generatorCases();
