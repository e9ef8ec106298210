// Each test class starts its own server, and OpenTelemetry's meter listener matches meters by name
// across the whole process: run the classes one after another so one server's Prometheus output
// counts only its own requests.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
