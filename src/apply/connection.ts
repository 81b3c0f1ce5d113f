/** Moved to src/db/connection.ts (shared below apply); kept so in-flight imports keep working. */
export * from '../db/connection.js';
