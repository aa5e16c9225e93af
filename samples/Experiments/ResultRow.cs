namespace NeuralNet.Experiments;

/// <summary>One line of the results table: what a document reported and what we measured for the same setting.</summary>
/// <param name="Id">The experiment id, e.g. E3.8.</param>
/// <param name="Setting">The variant within the experiment, e.g. "RMSprop".</param>
/// <param name="Documented">The figure the document reports.</param>
/// <param name="Ours">Our figure for the same measure.</param>
/// <param name="Epochs">Epochs actually run.</param>
/// <param name="Seconds">Wall-clock seconds of training without the extra evaluations, unless the row's note says what else it
/// covers (E4.5 times the document's whole span); NaN or 0 when the row has no time of its own.</param>
/// <param name="Note">Why the figures differ, or what to look at.</param>
internal sealed record ResultRow(string Id, string Setting, string Documented, string Ours, int Epochs, double Seconds, string Note = "");
