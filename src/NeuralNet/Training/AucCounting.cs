using System.Globalization;

namespace NeuralNet.Training;

/// <summary>
/// How <see cref="Auc"/> counts beyond the plain confusion counts (Keras' <c>AUC.update_state</c>): a sigmoid first
/// (<c>from_logits</c>), counts per column of a (batch, labels) prediction (<c>multi_label</c>, <see cref="Labels"/>), or a
/// weight per column of the last axis on flattened data (<c>label_weights</c> without <c>multi_label</c>).
/// </summary>
/// <param name="Labels">The columns counted apart (multi-label), or null to count every element together.</param>
/// <param name="FromLogits">Whether the predictions are logits, turned into probabilities by a sigmoid first.</param>
/// <param name="ColumnWeights">
/// A weight per column of the last axis, or one for every column (Keras broadcasts it), multiplied into each sample's
/// weight; or null.
/// </param>
internal readonly record struct AucCounting(int? Labels, bool FromLogits, double[]? ColumnWeights)
{
    /// <summary>The weight of label (column) <paramref name="index"/>: Keras broadcasts label_weights, so one weight serves every label.</summary>
    public static double Broadcast(double[] weights, int index) => weights.Length == 1 ? weights[0] : weights[index];

    /// <summary>Refuses, before anything is counted, predictions whose shape does not fit the labels or the column weights.</summary>
    /// <exception cref="ArgumentException">The predictions are not (batch, labels), or their last axis is not one per column weight.</exception>
    public void Check(string metric, TensorShape predictions)
    {
        if (Labels is int labels && (predictions.Rank != 2 || predictions[1] != labels))
        {
            // Keras: "`y_pred` must have rank 2 when `multi_label=True`", and variables of shape (thresholds, labels).
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{metric}: with multiLabel the predictions must be (batch, {labels}), one column per label, but are {predictions}."), "predictions");
        }

        if (ColumnWeights is double[] weights && (predictions.Rank < 2 || (weights.Length != 1 && predictions[-1] != weights.Length)))
        {
            // Keras broadcasts label_weights, expanded to (1, labels), against the predictions: a vector cannot take it.
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{metric}: {weights.Length} labelWeights weigh the columns of the last axis, but the predictions are {predictions}; expected (batch, ..., {(weights.Length == 1 ? "columns" : weights.Length)})."), "predictions");
        }
    }
}
