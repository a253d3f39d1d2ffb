// Units of the lab file (spec/lab-file.md "Units"): GB = 1024 MB, durations, MHz, percentages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatMB, parseDurationSeconds, parseFraction, parseMemoryMB, parseMHz } from '../src/spec/units.js';

test('memory sizes follow the vSphere convention GB = 1024 MB', () => {
  assert.equal(parseMemoryMB('512MB'), 512);
  assert.equal(parseMemoryMB('6GB'), 6144);
  assert.equal(parseMemoryMB('6GiB'), 6144);
  assert.equal(parseMemoryMB('3TB'), 3 * 1024 * 1024);
  assert.equal(parseMemoryMB(2048), 2048);
  assert.equal(parseMemoryMB('1.5GB'), 1536);
  assert.equal(parseMemoryMB('6 gb'), 6144);
  assert.equal(parseMemoryMB('six GB'), undefined);
  assert.equal(parseMemoryMB(-1), undefined);
  assert.equal(parseMemoryMB(Infinity), undefined);
});

test('durations: seconds, minutes, hours, bare seconds', () => {
  assert.equal(parseDurationSeconds('300s'), 300);
  assert.equal(parseDurationSeconds('5m'), 300);
  assert.equal(parseDurationSeconds('1h'), 3600);
  assert.equal(parseDurationSeconds('100ms'), 0.1);
  assert.equal(parseDurationSeconds(42), 42);
  assert.equal(parseDurationSeconds('soon'), undefined);
});

test('MHz and GHz', () => {
  assert.equal(parseMHz('2.4GHz'), 2400);
  assert.equal(parseMHz('3400MHz'), 3400);
  assert.equal(parseMHz(1000), 1000);
  assert.equal(parseMHz('fast'), undefined);
});

test('percentages as 25% or 0.25, only 0..1', () => {
  assert.equal(parseFraction('25%'), 0.25);
  assert.equal(parseFraction(0.25), 0.25);
  assert.equal(parseFraction('150%'), undefined);
  assert.equal(parseFraction(2), undefined);
});

test('formatMB renders sizes for people', () => {
  assert.equal(formatMB(512), '512 MB');
  assert.equal(formatMB(6144), '6 GB');
  assert.equal(formatMB(1536), '1.5 GB');
  assert.equal(formatMB(3 * 1024 * 1024), '3 TB');
});
