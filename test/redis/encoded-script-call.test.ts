/**
 * Large script calls encoded by redrive (encoded-script-call.ts) instead of ioredis: the bytes on
 * the wire, and the answers of a real Redis, including a script the server does not have yet.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { callEncodedScript, encodeScriptCommand } from '../../src/redis/encoded-script-call.js';
import { ScriptFamily } from '../../src/redis/scripts.js';
import { redisService, redisUrl } from '../support/services.js';

describe('encodeScriptCommand', () => {
  it('writes each argument as a bulk string of its byte length', () => {
    expect(encodeScriptCommand('evalsha', 'abc', ['1', 'k', ''])).toBe(
      '*5\r\n$7\r\nevalsha\r\n$3\r\nabc\r\n$1\r\n1\r\n$1\r\nk\r\n$0\r\n\r\n',
    );
  });

  it('counts the bytes, not the characters, of a command that is not ASCII', () => {
    const command = encodeScriptCommand('eval', 'return 1 -- é', ['0', 'né €']);
    expect(command).toBe('*4\r\n$4\r\neval\r\n$14\r\nreturn 1 -- é\r\n$1\r\n0\r\n$7\r\nné €\r\n');
  });
});

const redis = await redisService();

describe.skipIf(!redis.available)('callEncodedScript on a real Redis', () => {
  const client = new Redis(redisUrl());
  afterAll(() => client.disconnect());

  it('sends every argument as ioredis would, and loads a script the server lacks', async () => {
    // A script text no server has seen: the first call gets NOSCRIPT and is sent again as EVAL.
    const lua = `-- ${randomUUID()} é\nreturn { #KEYS, #ARGV, ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[#ARGV] }`;
    const script = { lua, sha: createHash('sha1').update(lua).digest('hex') };
    const many = Array.from({ length: 300 }, (_, i) => `a${i}`);
    const args = [2 ** 60, 1.5, 'naïve ✓', [7, 'x'], ...many];
    const expected = [1, 305, '1152921504606846976', '1.5', 'naïve ✓', '7', 'a299'];
    expect(await client.script('EXISTS', script.sha)).toEqual([0]);
    expect(await callEncodedScript(client, script, ['k'], args)).toEqual(expected);
    expect(await client.script('EXISTS', script.sha)).toEqual([1]);
    expect(await callEncodedScript(client, script, ['k'], args)).toEqual(expected);
  });

  it('rejects with the script error the server answers', async () => {
    const lua = `-- ${randomUUID()}\nreturn redis.error_reply('ERR refused ' .. ARGV[1])`;
    const script = { lua, sha: createHash('sha1').update(lua).digest('hex') };
    await expect(callEncodedScript(client, script, ['k'], ['now'])).rejects.toThrow('refused now');
  });
});

describe.skipIf(!redis.available)('a large script call on a client with a keyPrefix', () => {
  const prefix = `encoded-${randomUUID()}:`;
  const client = new Redis(redisUrl(), { keyPrefix: prefix });
  const dir = mkdtempSync(join(tmpdir(), 'redrive-scripts-'));
  writeFileSync(join(dir, 'echo-key.lua'), '-- KEYS[1] any key\nreturn { KEYS[1], #ARGV }\n');
  const family = new ScriptFamily('redrive_encoded_test', ['echo-key'] as const, [pathToFileURL(`${dir}/`)]);
  afterAll(() => {
    client.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prefixes its keys as a short call does', async () => {
    const short = Array.from({ length: 3 }, (_, i) => `a${i}`);
    const long = Array.from({ length: 300 }, (_, i) => `a${i}`);
    expect(await family.run(client, 'echo-key', ['k'], short)).toEqual([`${prefix}k`, 3]);
    expect(await family.run(client, 'echo-key', ['k'], long)).toEqual([`${prefix}k`, 300]);
  });
});
