/**
 * Brings a freshly filled database to the same state before every measured drain: the WAL
 * checkpointed into the database file and truncated, its writes synced, and a short pause. Without
 * it, a drain after a large prefill also pays for checkpointing and disk writeback of the prefill,
 * which penalises the 1M backlog for the wrong reason.
 */
import Database from 'better-sqlite3';
import { sleep } from './wait.js';

export async function settle(dbPath: string, pauseMs = 250): Promise<void> {
  const db = new Database(dbPath);
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  await sleep(pauseMs);
}
