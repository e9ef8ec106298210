// k6 load test of the KServe v2 REST API: k6 run -e BASE_URL=http://127.0.0.1:8000 loadtests/k6/rest.js
import http from 'k6/http';
import { check } from 'k6';
import { Trend, Counter } from 'k6/metrics';
import { model, pick, scenarios, thresholds } from './common.js';

const base = __ENV.BASE_URL || 'http://127.0.0.1:8000';
const exitTimestep = new Trend('exit_timestep');
const spikes = new Trend('spikes');
const wrong = new Counter('wrong_labels');

export const options = {
  scenarios: scenarios('infer'),
  thresholds: Object.fromEntries(Object.entries(thresholds).filter(([k]) => !k.startsWith('grpc'))),
};

export function setup() {
  const ready = http.get(`${base}/v2/health/ready`);
  if (ready.status !== 200) {
    throw new Error(`server not ready at ${base}: ${ready.status}`);
  }
}

export function infer() {
  const digit = pick();
  const body = JSON.stringify({
    inputs: [{ name: 'image', datatype: 'FP32', shape: [1, 1, 28, 28], data: digit.input }],
    outputs: [{ name: 'label_index' }, { name: 'exit_timestep' }, { name: 'spikes' }],
  });
  const res = http.post(`${base}/v2/models/${model}/infer`, body, {
    headers: { 'Content-Type': 'application/json' },
    tags: { difficulty: digit.difficulty },
  });
  const ok = check(res, { 'status 200': (r) => r.status === 200 });
  if (!ok) {
    return;
  }
  const outputs = Object.fromEntries(res.json('outputs').map((o) => [o.name, o.data[0]]));
  exitTimestep.add(outputs.exit_timestep, { difficulty: digit.difficulty });
  spikes.add(outputs.spikes, { difficulty: digit.difficulty });
  if (outputs.label_index !== digit.label) {
    wrong.add(1);
  }
}
