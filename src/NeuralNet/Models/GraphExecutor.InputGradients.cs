using NeuralNet.Layers;

namespace NeuralNet.Models;

// Gradients with respect to the model's inputs (Model.ComputesInputGradients, PyTorch's requires_grad on the inputs,
// Keras' tape.gradient(loss, inputs)): the inputs' slots join the slots that require a gradient, so every layer after an
// input computes its input gradient, frozen or not; the backward pass then copies what reached each input slot into a
// buffer of the executor. The wish takes effect at the next forward pass, whose caches the backward pass reads.
internal sealed partial class GraphExecutor
{
    // What the model asks for, and what the current plan (PlanBackward) does.
    private bool _inputGradientsWanted;
    private bool _inputGradientsPlanned;

    // Whether the last backward pass filled _inputGradientViews for the last forward pass.
    private bool _inputGradientsReady;
    private Tensor?[]? _inputGradientBuffers;
    private Tensor[]? _inputGradientViews;

    /// <summary>
    /// Whether the next forward pass plans gradients with respect to the graph's inputs (see
    /// <see cref="Model.ComputesInputGradients"/>); the current plan stays until then.
    /// </summary>
    public bool InputGradientsWanted
    {
        get => _inputGradientsWanted;
        set => _inputGradientsWanted = value;
    }

    /// <summary>Whether the last forward pass ran under a plan with input gradients.</summary>
    public bool InputGradientsPlanned => Active._inputGradientsPlanned;

    /// <summary>
    /// dLoss/dInput for each input of the last backward pass, or null when that pass computed none (not planned, or no
    /// backward pass since the last forward pass). Buffers of the executor, overwritten by the next backward pass.
    /// </summary>
    public IReadOnlyList<Tensor>? InputGradients => Active._inputGradientsReady ? Active._inputGradientViews : null;

    /// <summary>
    /// The first layer after an input that cannot compute the gradient with respect to its input (a <see cref="Lambda"/>
    /// without a gradient function), which a plan with input gradients would run backward; null when there is none.
    /// Changes nothing.
    /// </summary>
    public Layer? LacksGradientTowardInputs()
    {
        var requires = new bool[_requiresGradient.Length];
        foreach (int slot in _inputSlots)
        {
            requires[slot] = true;
        }

        foreach (Step step in _steps)
        {
            bool needs = false;
            foreach (int s in step.InputSlots)
            {
                needs |= requires[s];
            }

            if (needs && step.Instance.LacksInputGradient)
            {
                return step.Layer;
            }

            foreach (int o in step.OutputSlots)
            {
                requires[o] = needs || step.Layer.HasTrainableParameters;
            }
        }

        return null;
    }

    // Part of PlanBackward: the inputs' slots require a gradient when the plan computes input gradients.
    private void PlanInputGradients(bool inputGradients)
    {
        _inputGradientsPlanned = inputGradients;
        _inputGradientsReady = false;
        if (!inputGradients)
        {
            return;
        }

        foreach (int slot in _inputSlots)
        {
            _requiresGradient[slot] = true;
        }
    }

    // After a backward pass under a plan with input gradients: what reached each input's slot, copied into the executor's
    // buffers (the slot may hold a layer's own buffer, or the caller's output gradient through a layer that passes it on),
    // zeros for an input no gradient reached.
    private void CollectInputGradients()
    {
        if (!_inputGradientsPlanned)
        {
            return;
        }

        _inputGradientBuffers ??= new Tensor?[_inputSlots.Length];
        _inputGradientViews ??= new Tensor[_inputSlots.Length];
        for (int i = 0; i < _inputSlots.Length; i++)
        {
            int slot = _inputSlots[i];
            Tensor destination = BatchView(ref _inputGradientBuffers[i], _values[slot]!.Shape[0], _slotShapes[slot]);
            if (_gradients[slot] is Tensor gradient)
            {
                gradient.AsReadOnlySpan().CopyTo(destination.AsSpan());
            }
            else
            {
                destination.AsSpan().Clear();
            }

            _inputGradientViews[i] = destination;
        }

        _inputGradientsReady = true;
    }
}
