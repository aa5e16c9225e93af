namespace NeuralNet.Data;

/// <summary>How a categorical (text) column of a CSV table becomes numbers, as Keras' <c>StringLookup</c> output modes.</summary>
public enum CategoricalEncoding
{
    /// <summary>One column holding the category's index in the column's vocabulary (Keras' <c>output_mode="int"</c>).</summary>
    Integer,

    /// <summary>One column per category, 1 in the row's category and 0 elsewhere (Keras' <c>output_mode="one_hot"</c>).</summary>
    OneHot,
}
