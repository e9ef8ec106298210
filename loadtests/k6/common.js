// Shared by rest.js and grpc.js: payloads, scenarios and thresholds.
import { SharedArray } from 'k6/data';

// Real MNIST test digits, half "easy" (the bundled model exits at timestep 1), half "hard".
// Regenerate with: dotnet run -c Release --project bench -- payloads
export const digits = new SharedArray('digits', () => JSON.parse(open('../payloads/digits.json')));

export const model = __ENV.MODEL || 'mnist-alif';

// Step through arrival rates (requests/s): RATES="50,100,200", STAGE="30s".
const rates = (__ENV.RATES || '50,100,200,400').split(',').map(Number);
const stage = __ENV.STAGE || '30s';

export function scenarios(exec) {
  const result = {};
  rates.forEach((rate, i) => {
    result[`rate_${rate}`] = {
      executor: 'constant-arrival-rate',
      exec,
      rate,
      timeUnit: '1s',
      duration: stage,
      startTime: `${i * (parseInt(stage, 10) + 5)}s`,
      preAllocatedVUs: Math.max(10, Math.ceil(rate / 10)),
      maxVUs: Math.max(50, rate),
      tags: { rate: String(rate) },
    };
  });
  return result;
}

export const thresholds = {
  http_req_failed: ['rate<0.01'],
  http_req_duration: ['p(95)<50', 'p(99)<100'],
  grpc_req_duration: ['p(95)<50', 'p(99)<100'],
  checks: ['rate>0.99'],
  exit_timestep: ['avg<3'],
};

export function pick() {
  return digits[Math.floor(Math.random() * digits.length)];
}
