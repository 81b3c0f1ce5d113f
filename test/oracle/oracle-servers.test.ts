/** The differential oracle on PostgreSQL 15, 16, 17 and 18, those available (see ./suite.ts). */
import { oracleSuite } from './suite.js';

oracleSuite(['pg15', 'pg16', 'pg17', 'pg18']);
