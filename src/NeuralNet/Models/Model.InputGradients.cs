using NeuralNet.Layers;

namespace NeuralNet.Models;

// Gradients with respect to the model's inputs, for saliency maps, Grad-CAM, integrated gradients and adversarial
// examples (Keras: tape.gradient(score, image); PyTorch: x.requires_grad_(), then x.grad after backward()).
public abstract partial class Model
{
    private bool _computesInputGradients;

    /// <summary>How many times the model's executor has planned its backward pass (for tests: plans kept and used again are not counted).</summary>
    internal int BackwardPlansMade => Executor.PlansMade;

    /// <summary>
    /// Whether the model's backward pass also computes dLoss/dInput for every input (PyTorch's <c>requires_grad</c> on
    /// the inputs, Keras' <c>tape.gradient(loss, inputs)</c>), read from <see cref="InputGradients"/> after
    /// <see cref="Backward"/>. Off by default: a model skips the input gradient of its first layers, which nothing reads
    /// when training. Takes effect at the next <see cref="Forward"/> (whose caches the backward pass reads); turning it
    /// off brings back the model's own plan at the next forward pass. Frozen layers (<see cref="Layer.Trainable"/> false)
    /// pass the gradient on all the same. The training steps of <c>Fit</c> and <c>TrainOnBatch</c> leave them out (their
    /// optimizer step reads only the parameters' gradients, and the results are the same bits): read them after
    /// <see cref="Backward"/> or <see cref="ComputeGradients"/>.
    /// </summary>
    /// <example>
    /// <code>
    /// model.ComputesInputGradients = true;
    /// Tensor scores = model.Forward(image, training: false)[0];
    /// model.Backward(oneHotOfTheClass);      // dScore/dOutput
    /// Tensor saliency = model.InputGradients[0];
    /// </code>
    /// </example>
    /// <exception cref="InvalidOperationException">Set to true while a layer after an input cannot compute the gradient
    /// with respect to its input (a <see cref="Lambda"/> without a gradient function); the message names it, and the
    /// property stays false.</exception>
    public bool ComputesInputGradients
    {
        get => _computesInputGradients;
        set
        {
            using (_gate.EnterExclusive())
            {
                if (value && _executor?.LacksGradientTowardInputs() is Layer layer)
                {
                    throw new InvalidOperationException(
                        $"Model '{Name}' cannot compute gradients with respect to its inputs: {layer} has no gradient function, and every layer after an input must pass a gradient back. Pass gradient: to the Lambda.");
                }

                _computesInputGradients = value;
                if (_executor is GraphExecutor executor)
                {
                    executor.InputGradientsWanted = value;
                }
            }
        }
    }

    /// <summary>
    /// dLoss/dInput for each model input, in input order (a tensor shaped as that input's batch), from the last
    /// <see cref="Backward"/> or <see cref="ComputeGradients"/>, when <see cref="ComputesInputGradients"/> was on for the
    /// forward pass before it (the training steps of <c>Fit</c> and <c>TrainOnBatch</c> compute none). A gradient that reaches an input along
    /// several paths (a residual connection, an input read by two layers) is summed; an input no gradient reaches gets
    /// zeros. The tensors are the model's buffers, overwritten by the next backward pass: copy what must be kept.
    /// </summary>
    /// <exception cref="InvalidOperationException"><see cref="ComputesInputGradients"/> was off for the last forward pass,
    /// that pass was a training step of <c>Fit</c> or <c>TrainOnBatch</c>, or no backward pass has run since it.</exception>
    public IReadOnlyList<Tensor> InputGradients
    {
        get
        {
            using (_gate.EnterExclusive())
            {
                GraphExecutor executor = Executor;
                if (executor.InputGradients is IReadOnlyList<Tensor> gradients)
                {
                    return gradients;
                }

                throw new InvalidOperationException(executor.InputGradientsPlanned
                    ? $"Model '{Name}' has no input gradients for its last forward pass: call Backward first."
                    : executor.SkippedInputGradients
                    ? $"Model '{Name}' computed no input gradients: its last forward pass was a training step (Fit or TrainOnBatch), which leaves them out. Call Forward then Backward, or ComputeGradients, to get them."
                    : $"Model '{Name}' computed no input gradients: set ComputesInputGradients = true before Forward (it takes effect at the next forward pass), then call Backward."
                    );
            }
        }
    }

    // A new graph's executor gets the model's setting (a Sequential builds its graph on first use).
    private void ApplyInputGradientSetting(GraphExecutor executor) => executor.InputGradientsWanted = _computesInputGradients;
}
