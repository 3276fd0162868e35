#!/usr/bin/env node
// Reference Merkle vectors for qsm's ledger, made with @openzeppelin/merkle-tree's StandardMerkleTree
// (leaf encoding ["bytes32", "bytes32"]). Deterministic: value i of every tree is
//   digest_i = sha256(`${seed}:digest:${i}`), salt_i = sha256(`${seed}:salt:${i}`)
// and the tree for n takes values 0..n-1. Prints JSON on stdout.
// Usage: node scripts/ledger_merkle_vectors.mjs [maxN] > tests/chain/data/merkle_vectors.json
import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { StandardMerkleTree } = require('@openzeppelin/merkle-tree')
const pkg = require('@openzeppelin/merkle-tree/package.json')

const seed = 'qsm-merkle-vectors-v1'
const maxN = Number(process.argv[2] || 1000)
const encoding = ['bytes32', 'bytes32']
const sha = (text) => '0x' + createHash('sha256').update(text, 'utf8').digest('hex')
const values = Array.from({ length: maxN }, (_, i) => [sha(`${seed}:digest:${i}`), sha(`${seed}:salt:${i}`)])

const proofSizes = [1, 2, 3, 4, 5, 7, 8, 9, 16, 33, 100, 257, 1000].filter((n) => n <= maxN)
const multiSizes = [1, 5, 16, 100].filter((n) => n <= maxN)
const roots = []
const proofs = []
const multiproofs = []
let dump = null
for (let n = 1; n <= maxN; n++) {
  const tree = StandardMerkleTree.of(values.slice(0, n), encoding)
  roots.push(tree.root)
  if (proofSizes.includes(n)) {
    for (const index of [...new Set([0, Math.floor(n / 2), n - 1])]) {
      proofs.push({ n, index, proof: tree.getProof(index) })
    }
  }
  if (multiSizes.includes(n)) {
    const indices = [...new Set([0, Math.floor(n / 3), n - 1])]
    const mp = tree.getMultiProof(indices)
    multiproofs.push({ n, indices, leaves: mp.leaves, proof: mp.proof, proofFlags: mp.proofFlags })
  }
  if (n === 5) dump = tree.dump()
}
const out = {
  generator: { package: pkg.name, version: pkg.version, call: 'StandardMerkleTree.of(values, ["bytes32","bytes32"])' },
  seed,
  valueRule: 'value i = [sha256(`${seed}:digest:${i}`), sha256(`${seed}:salt:${i}`)], tree n = values 0..n-1',
  maxN,
  roots,
  proofs,
  multiproofs,
  dumpN5: dump,
}
process.stdout.write(JSON.stringify(out, null, 1) + '\n')
