// better-sqlite3 as an ES import, so the build bundles its JavaScript (store.ts, loadSqlite).
import Database from 'better-sqlite3';

export default Database;
