namespace NeuralNet.Datasets;

/// <summary>Which end of a sequence padding or truncation applies to (Keras' <c>"pre"</c> and <c>"post"</c>).</summary>
public enum SequenceSide
{
    /// <summary>The start: padding goes before the values, truncation drops the first ones (Keras' default).</summary>
    Pre,

    /// <summary>The end: padding goes after the values, truncation drops the last ones.</summary>
    Post,
}
