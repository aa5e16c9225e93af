namespace NeuralNet.Applications;

/// <summary>
/// The pooling an application model ends with when it has no classifier (Keras' <c>pooling</c> argument of
/// <c>keras.applications</c>; used only when <see cref="ApplicationOptions.IncludeTop"/> is false).
/// </summary>
public enum ApplicationPooling
{
    /// <summary>No pooling (Keras' <c>pooling=None</c>): the model outputs the last convolutional block's 4D feature map.</summary>
    None,

    /// <summary>Global average pooling (Keras' <c>pooling="avg"</c>): the model outputs one vector of channels per image.</summary>
    Average,

    /// <summary>Global max pooling (Keras' <c>pooling="max"</c>): the model outputs one vector of channels per image.</summary>
    Max,
}
