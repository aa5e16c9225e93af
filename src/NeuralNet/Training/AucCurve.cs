namespace NeuralNet.Training;

/// <summary>Which curve <see cref="Auc"/> integrates.</summary>
public enum AucCurve
{
    /// <summary>The receiver operating characteristic: recall against the false-positive rate (Keras' <c>"ROC"</c>).</summary>
    Roc,

    /// <summary>Precision against recall, interpolated as Davis and Goadrich (Keras' <c>"PR"</c>).</summary>
    PR,
}
