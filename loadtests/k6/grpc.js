// k6 load test of the KServe v2 gRPC API (plaintext h2c):
//   k6 run -e GRPC_ADDR=127.0.0.1:8001 loadtests/k6/grpc.js
import grpc from 'k6/net/grpc';
import { check } from 'k6';
import { Trend, Counter } from 'k6/metrics';
import { model, pick, scenarios, thresholds } from './common.js';

const address = __ENV.GRPC_ADDR || '127.0.0.1:8001';
const client = new grpc.Client();
client.load(['../../src/Contracts'], 'inference/grpc_predict_v2.proto');

const exitTimestep = new Trend('exit_timestep');
const spikes = new Trend('spikes');
const wrong = new Counter('wrong_labels');

export const options = {
  scenarios: scenarios('infer'),
  thresholds: Object.fromEntries(Object.entries(thresholds).filter(([k]) => !k.startsWith('http'))),
};

let connected = false;

export function infer() {
  if (!connected) {
    client.connect(address, { plaintext: true });
    connected = true;
  }
  const digit = pick();
  const res = client.invoke('inference.GRPCInferenceService/ModelInfer', {
    model_name: model,
    inputs: [{ name: 'image', datatype: 'FP32', shape: [1, 1, 28, 28], contents: { fp32_contents: digit.input } }],
    outputs: [{ name: 'label_index' }, { name: 'exit_timestep' }, { name: 'spikes' }],
  }, { tags: { difficulty: digit.difficulty } });
  const ok = check(res, { 'status OK': (r) => r && r.status === grpc.StatusOK });
  if (!ok) {
    return;
  }
  const outputs = Object.fromEntries(res.message.outputs.map((o) => [o.name, o.contents]));
  exitTimestep.add(Number(outputs.exit_timestep.intContents[0]), { difficulty: digit.difficulty });
  spikes.add(Number(outputs.spikes.int64Contents[0]), { difficulty: digit.difficulty });
  if (Number(outputs.label_index.int64Contents[0]) !== digit.label) {
    wrong.add(1);
  }
}

export function teardown() {
  client.close();
}
