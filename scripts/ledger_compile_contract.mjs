#!/usr/bin/env node
// Compiles qsm/chain/contracts/AnchorRegistry.sol with solcjs (npm `solc`, pinned in package.json) and prints
// the artifact (ABI, bytecode, compiler version and settings) as JSON on stdout.
// Usage: node scripts/ledger_compile_contract.mjs > qsm/chain/contracts/AnchorRegistry.json
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const solc = require('solc')

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const sourceName = 'AnchorRegistry.sol'
const contractName = 'AnchorRegistry'
const source = readFileSync(join(root, 'qsm', 'chain', 'contracts', sourceName), 'utf8')

const settings = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: 'cancun',
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
}
const input = { language: 'Solidity', sources: { [sourceName]: { content: source } }, settings }
const output = JSON.parse(solc.compile(JSON.stringify(input)))
const errors = (output.errors || []).filter((e) => e.severity === 'error')
if (errors.length > 0) {
  for (const e of errors) console.error(e.formattedMessage)
  process.exit(1)
}
const compiled = output.contracts[sourceName][contractName]
const artifact = {
  contractName,
  sourceName,
  sourceSha256: createHash('sha256').update(source, 'utf8').digest('hex'),
  compiler: { name: 'solcjs', npmPackage: 'solc', version: solc.version() },
  settings: { optimizer: settings.optimizer, evmVersion: settings.evmVersion },
  abi: compiled.abi,
  bytecode: '0x' + compiled.evm.bytecode.object,
  deployedBytecode: '0x' + compiled.evm.deployedBytecode.object,
}
process.stdout.write(JSON.stringify(artifact, null, 2) + '\n')
