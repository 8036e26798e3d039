import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generatePassword, loginUrl, scramVerifier } from '../../shared/adapters/postgres/login-users.ts';
import { localLoginPasswords } from '../../shared/apps/local/login-passwords.ts';

describe('scramVerifier', () => {
  it('is what PostgreSQL 17 stores for the same password and salt', () => {
    // Read from pg_authid after `SET password_encryption = 'scram-sha-256'; CREATE ROLE vec PASSWORD 'pencil-Audit#1'`.
    const stored =
      'SCRAM-SHA-256$4096:B1ZkEhOPmpSFx3Q+25quiA==$uIrVMjYxesj1Iqt6zWx/8RDKvwmtvqljEDaIoHRQv4M=:Tz2LVDqjILatvv3YGg6X4C3BFfUqohjeiQpDVSUVMU4=';
    expect(scramVerifier('pencil-Audit#1', Buffer.from('B1ZkEhOPmpSFx3Q+25quiA==', 'base64'))).toBe(stored);
  });

  it('salts every verifier anew and refuses passwords SASLprep would change', () => {
    expect(scramVerifier('same-password')).not.toBe(scramVerifier('same-password'));
    expect(() => scramVerifier('with space')).toThrow(/printable ASCII/);
    expect(() => scramVerifier('pässword')).toThrow(/printable ASCII/);
  });

  it('generated passwords are long and URL-safe', () => {
    const password = generatePassword();
    expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(loginUrl('postgres://audit_owner:x@127.0.0.1:5432/audit', 'audit_writer', password)).toBe(
      `postgres://audit_writer:${password}@127.0.0.1:5432/audit`,
    );
  });
});

describe('localLoginPasswords', () => {
  let dir = '';
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('generates them once, keeps them readable by the owner only, and reuses them', async () => {
    dir = await mkdtemp(join(tmpdir(), 'trail-login-'));
    const first = await localLoginPasswords(dir, {});
    expect(Object.keys(first).sort()).toEqual(['audit_forwarder', 'audit_reader', 'audit_sealer', 'audit_writer']);
    expect(new Set(Object.values(first)).size).toBe(4);
    expect((await stat(join(dir, 'db-login.json'))).mode & 0o777).toBe(0o600);
    expect(await localLoginPasswords(dir, {})).toEqual(first);
  });

  it('takes configured passwords over the saved ones, and names a damaged file', async () => {
    dir = await mkdtemp(join(tmpdir(), 'trail-login-'));
    const configured = {
      writer: 'w'.repeat(20),
      reader: 'r'.repeat(20),
      sealer: 's'.repeat(20),
      forwarder: 'f'.repeat(20),
    };
    expect(await localLoginPasswords(dir, configured)).toEqual({
      audit_writer: configured.writer,
      audit_reader: configured.reader,
      audit_sealer: configured.sealer,
      audit_forwarder: configured.forwarder,
    });
    const file = join(dir, 'db-login.json');
    await writeFile(file, '{"audit_writer":"short"}');
    await chmod(file, 0o600);
    await expect(localLoginPasswords(dir, {})).rejects.toThrow(
      `${file} is not {audit_writer, audit_reader, audit_sealer, audit_forwarder} passwords`,
    );
    expect(await readFile(file, 'utf8')).toBe('{"audit_writer":"short"}');
  });

  it('adds a password for a login user an earlier version did not have, keeping the saved ones', async () => {
    dir = await mkdtemp(join(tmpdir(), 'trail-login-'));
    const file = join(dir, 'db-login.json');
    const earlier = { audit_writer: 'w'.repeat(32), audit_reader: 'r'.repeat(32) };
    await writeFile(file, JSON.stringify(earlier), { mode: 0o600 });
    const passwords = await localLoginPasswords(dir, {});
    expect(passwords).toEqual({
      ...earlier,
      audit_sealer: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/),
      audit_forwarder: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/),
    });
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(passwords);
    expect(await localLoginPasswords(dir, { reader: 'c'.repeat(20) })).toEqual({
      ...passwords,
      audit_reader: 'c'.repeat(20),
    });
  });
});
