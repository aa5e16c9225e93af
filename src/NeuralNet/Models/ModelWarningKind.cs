namespace NeuralNet.Models;

/// <summary>What a <see cref="ModelWarning"/> is about.</summary>
public enum ModelWarningKind
{
    /// <summary>
    /// A layer that does not support masking (<see cref="Layers.Layer.SupportsMasking"/> false) receives an input with a
    /// mask, and the mask stops there: the layers after it see none (Keras 3 warns "was passed an input with a mask
    /// attached to it").
    /// </summary>
    MaskDropped,
}
