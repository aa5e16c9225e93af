namespace NeuralNet.Models;

/// <summary>What one prediction runs on: an executor whose layers no other running prediction uses, and its input array.</summary>
internal sealed class InferenceRunner(GraphExecutor executor)
{
    /// <summary>The executor: the model's own, or one over copies of its layers (<see cref="GraphExecutor.ForInference"/>).</summary>
    public GraphExecutor Executor { get; } = executor;

    /// <summary>The one-input array a single-input forward pass is given, reused so a warm call allocates nothing.</summary>
    public Tensor[] SingleInput { get; } = new Tensor[1];
}
