using NeuralNet.Layers;
using NeuralNet.Models;

namespace NeuralNet.Onnx;

/// <summary>How a mask the exporter follows is computed in the graph.</summary>
internal enum MaskRule
{
    /// <summary>Real where a value is not 0: Embedding's ids with maskZero, an attention layer's query-mask input.</summary>
    NonZero,

    /// <summary>Real where any feature differs from the mask value (Masking).</summary>
    Masking,

    /// <summary>Real where any part is real (Keras 3's merges and Concatenate on the last axis).</summary>
    Or,

    /// <summary>
    /// Real at a time step where any of the part's positions inside the step is real, repeated over the positions the
    /// output has inside the step (TimeDistributed's time part).
    /// </summary>
    AnyPerStep,

    /// <summary>A mask the exporter does not follow (the layer where it stopped is named): reading it is refused.</summary>
    Lost,
}

/// <summary>
/// A Keras mask as the exporter follows it from the layer that made it: one plan per mask, shared by every tensor the
/// mask passes on to unchanged, so its nodes are written once, and only when a layer reads it. Plans are told apart by
/// identity (<see cref="ReferenceEqualityComparer"/>), not by their fields.
/// </summary>
/// <param name="Source">The model's layer that made the mask (named in errors, with what it is, see <see cref="MaskFlow"/>).</param>
/// <param name="Shape">The mask's per-sample shape: its value's without the last axis.</param>
/// <param name="Rule">How it is computed.</param>
internal sealed record MaskPlan(Layer Source, TensorShape Shape, MaskRule Rule)
{
    /// <summary>The model value the mask is computed from (<see cref="MaskRule.NonZero"/>, <see cref="MaskRule.Masking"/>).</summary>
    public SymbolicTensor? From { get; init; }

    /// <summary>Masking's mask value.</summary>
    public float MaskValue { get; init; }

    /// <summary>The masks combined (<see cref="MaskRule.Or"/>) or reduced per step (<see cref="MaskRule.AnyPerStep"/>).</summary>
    public IReadOnlyList<MaskPlan> Parts { get; init; } = [];

    /// <summary>
    /// <see cref="MaskRule.AnyPerStep"/>: how many leading per-sample axes are steps (the time axes of the TimeDistributed
    /// layers the step lies in), kept; the part's axes after them are reduced, the plan's axes after them repeated.
    /// </summary>
    public int StepAxes { get; init; }

    /// <summary>The layer the mask could not be followed through, and why (<see cref="MaskRule.Lost"/>).</summary>
    public (Layer Layer, string Reason)? LostAt { get; init; }

    /// <summary>The plan of a mask that arrives at <paramref name="layer"/> and is not followed past it.</summary>
    public MaskPlan LostThrough(Layer layer, string reason) =>
        Rule == MaskRule.Lost ? this : this with { Rule = MaskRule.Lost, Parts = [], LostAt = (layer, reason) };
}
