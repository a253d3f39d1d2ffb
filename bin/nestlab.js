#!/usr/bin/env node
import { main } from '../dist/nestlab.mjs';

process.exitCode = await main(process.argv.slice(2));
