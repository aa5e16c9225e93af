namespace NeuralNet.Models;

// Keras' UserWarnings about a model, kept as data on the model: the core package has no logging dependency and no
// process-wide state, so a warning is found where the model is, read by the program, listed by Summary and written by
// Fit and Evaluate beside their progress.
public abstract partial class Model
{
    /// <summary>
    /// What the model does that is allowed but probably not meant, in the order found (Keras' <c>UserWarning</c>s): for
    /// now, a layer that does not support masking receiving an input with a mask, which stops there
    /// (<see cref="ModelWarningKind.MaskDropped"/>: <c>Embedding(maskZero: true)</c> then <c>Conv1D</c>). Filled when the
    /// graph is built (a <see cref="Functional"/> model when created, a <see cref="Sequential"/> when it builds), from
    /// the layers' settings; a mask that only a forward pass reveals (one an attention layer or a
    /// <c>TimeDistributed</c> passes on) adds its warning at the pass that meets it. Each layer is named at most once
    /// per kind. Listed by <see cref="Summary"/>, and written once each by <c>Fit</c> and <c>Evaluate</c> when
    /// <c>verbose</c> is 1 or 2. Empty for a model not built yet. A copy: later warnings do not appear in it.
    /// </summary>
    public IReadOnlyList<ModelWarning> Warnings => _executor?.Graph.Warnings.Snapshot() ?? [];
}
