// TorchSharp 0.107 can finalise a temporary Scalar while another thread's native call still uses
// it, and the trainer forces collections every batch: tests that train run one after another.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
