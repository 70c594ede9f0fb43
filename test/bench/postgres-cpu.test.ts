import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { PostgresCpuMeter } from '../../bench/postgres-cpu.js';
import { postgresService } from '../support/services.js';

const postgres = await postgresService();

describe.skipIf(!postgres.available)('PostgreSQL CPU per job (bench)', () => {
  it('counts the CPU a backend spends in the window, that of a backend which exits in it included', async () => {
    const meter = new PostgresCpuMeter(postgres.url);
    try {
      const close = await meter.start();
      // A backend that burns CPU and exits before the window closes: its time moves to the
      // postmaster's children times, which the meter counts.
      const client = new pg.Client({ connectionString: postgres.url });
      await client.connect();
      const started = process.hrtime.bigint();
      await client.query('SELECT count(*) FROM generate_series(1, 3000000)');
      const elapsedUs = Number(process.hrtime.bigint() - started) / 1000;
      await client.end();
      const cpu = (await close(1000)) as { postgresCpuUs?: number; postgresCpuUsPerJob?: number };
      // The query's CPU (at least a fifth of its wall time even on a loaded machine), in ticks of 10 ms.
      expect(cpu.postgresCpuUs).toBeGreaterThanOrEqual(Math.min(elapsedUs / 5, 200_000) - 10_000);
      expect(cpu.postgresCpuUsPerJob).toBe(Math.round(cpu.postgresCpuUs! / 10) / 100);
    } finally {
      await meter.close();
    }
  });

  it('opens its window after a checkpoint, so that none set off by an earlier run lands in it', async () => {
    const meter = new PostgresCpuMeter(postgres.url);
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    try {
      const lsn = async () =>
        (
          await client.query<{ lsn: string }>(
            'SELECT checkpoint_lsn::text AS lsn FROM pg_control_checkpoint()',
          )
        ).rows[0]!.lsn;
      const before = await lsn();
      const close = await meter.start();
      expect(await lsn()).not.toBe(before);
      await close(1);
    } finally {
      await client.end();
      await meter.close();
    }
  });
});
