// onnxruntime-node builds output tensors from typed arrays created in Node's main realm and checks them with
// `instanceof` against the test sandbox's constructors, which are different objects under jest. Tests that run a
// model use this environment (docblock `@jest-environment ./test/scorer/support/onnx-environment.js`, relative to the repo root) to share those constructors.
const { TestEnvironment } = require('jest-environment-node');

const TYPED_ARRAYS = [
  'Float32Array', 'Float64Array', 'Int8Array', 'Int16Array', 'Int32Array', 'BigInt64Array',
  'Uint8Array', 'Uint16Array', 'Uint32Array', 'BigUint64Array', 'Uint8ClampedArray', 'ArrayBuffer',
];

class OnnxEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of TYPED_ARRAYS) this.global[name] = globalThis[name];
  }
}

module.exports = OnnxEnvironment;
