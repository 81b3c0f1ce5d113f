export * from './model.js';
export { planMigration, PlanError, REWRITES, type PlanFile, type PlanOptions, type TableSize } from './planner.js';
export { invalidIndexCleanup, invalidIndexCheck } from './context.js';
export { renderSql, batchProgram } from './render/sql.js';
export { renderJson } from './render/json.js';
export { renderMarkdown, plannedSql } from './render/markdown.js';
