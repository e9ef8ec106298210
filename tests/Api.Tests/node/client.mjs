// Calls inference.GRPCInferenceService on 127.0.0.1:<port> with @grpc/grpc-js and prints the
// answers as one JSON line: proves wire compatibility with a client that is not .NET.
// Usage: node client.mjs <port> <proto path> <model> <input json file>
import { readFileSync } from "node:fs";
import grpc from "@grpc/grpc-js";
import protoLoader from "@grpc/proto-loader";

const [port, protoPath, model, inputFile] = process.argv.slice(2);
const definition = protoLoader.loadSync(protoPath, { keepCase: true, longs: Number, defaults: true });
const inference = grpc.loadPackageDefinition(definition).inference;
const client = new inference.GRPCInferenceService(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
const call = (method, request) =>
  new Promise((resolve, reject) => client[method](request, (error, response) => (error ? reject(error) : resolve(response))));

const input = JSON.parse(readFileSync(inputFile, "utf8"));
try {
  const live = await call("ServerLive", {});
  const metadata = await call("ModelMetadata", { name: model });
  const infer = await call("ModelInfer", {
    model_name: model,
    id: "node-1",
    parameters: { seed: { int64_param: 4 } },
    inputs: [{ name: "input", datatype: "FP32", shape: [1, 1, 12, 12], contents: { fp32_contents: input } }],
    outputs: [{ name: "probabilities" }, { name: "label" }, { name: "exit_timestep" }],
  });
  let notFound = null;
  try {
    await call("ModelInfer", { model_name: "ghost", inputs: [] });
  } catch (error) {
    notFound = error.code;
  }
  const outputs = Object.fromEntries(infer.outputs.map((o) => [o.name, o]));
  console.log(JSON.stringify({
    live: live.live,
    platform: metadata.platform,
    id: infer.id,
    probabilities: outputs.probabilities.contents.fp32_contents,
    label: Buffer.from(outputs.label.contents.bytes_contents[0]).toString("utf8"),
    exit_timestep: outputs.exit_timestep.contents.int_contents[0],
    not_found_code: notFound,
  }));
} finally {
  client.close();
}
