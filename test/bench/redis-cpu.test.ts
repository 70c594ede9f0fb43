import { describe, expect, it } from 'vitest';
import { compare, throughputMet } from '../../bench/redis-comparison.js';
import { cpuBetween, parseCommandStats, parseCpuUs } from '../../bench/redis-cpu.js';
import type { BenchResult } from '../../bench/result.js';

const stats = (evalsha: number, hset: number) =>
  [
    '# Commandstats',
    `cmdstat_evalsha:calls=${evalsha},usec=${evalsha * 100},usec_per_call=100.00,rejected_calls=0,failed_calls=0`,
    `cmdstat_hset:calls=${hset},usec=${hset * 2},usec_per_call=2.00,rejected_calls=0,failed_calls=0`,
    'cmdstat_info:calls=7,usec=70,usec_per_call=10.00,rejected_calls=0,failed_calls=0',
  ].join('\r\n');

describe('Redis CPU per job (bench)', () => {
  it('reads INFO cpu as microseconds of system plus user time', () => {
    expect(parseCpuUs('# CPU\r\nused_cpu_sys:1.250000\r\nused_cpu_user:0.500000\r\n')).toBe(1_750_000);
  });

  it('takes per-command deltas over a window, most expensive first, without INFO', () => {
    const before = { cpuUs: 1_000_000, commands: parseCommandStats(stats(10, 100)) };
    const after = { cpuUs: 1_500_000, commands: parseCommandStats(stats(20, 5_100)) };
    const cpu = cpuBetween(before, after, 5_000);
    expect(cpu.redisCpuUs).toBe(500_000);
    expect(cpu.redisCpuUsPerJob).toBe(100);
    expect(Object.keys(cpu.redisCommands)).toEqual(['hset', 'evalsha']);
    expect(cpu.redisCommands.hset).toEqual({ calls: 5_000, usec: 10_000 });
  });

  it('judges the median ratio, every paired run and the CPU share', () => {
    const run = (store: string, jobsPerSec: number, cpu: number): BenchResult => ({
      scenario: 'process-c50',
      synchronous: 'NORMAL',
      store,
      jobs: 1_000,
      seconds: 1_000 / jobsPerSec,
      jobsPerSec,
      peakRssMb: 0,
      rssStartMb: 0,
      rssEndMb: 0,
      details: { redisCpuUsPerJob: cpu },
    });
    const ours = [run('redis', 4_000, 20), run('redis', 3_500, 22), run('redis', 2_900, 25)];
    const theirs = [run('bullmq', 1_000, 90), run('bullmq', 1_000, 100), run('bullmq', 1_000, 95)];
    const f = compare(ours[1]!, theirs[1]!, ours, theirs);
    expect(f.ratio).toBe(3.5);
    expect(f.pairedRatios).toEqual([4, 3.5, 2.9]);
    expect(throughputMet(f)).toBe(false);
    expect(f.cpuPerJob).toBe(22);
    expect(f.bullmqCpuPerJob).toBe(95);
    expect(f.cpuShare).toBe(0.232);
    expect(throughputMet({ ...f, pairedRatios: [4, 3.5, 3] })).toBe(true);
  });
});
