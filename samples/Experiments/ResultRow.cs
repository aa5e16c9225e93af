namespace NeuralNet.Experiments;

/// <summary>One line of the results table: what a document reported and what we measured for the same setting.</summary>
/// <param name="Id">The experiment id, e.g. E3.8.</param>
/// <param name="Setting">The variant within the experiment, e.g. "RMSprop".</param>
/// <param name="Documented">The figure the document reports.</param>
/// <param name="Ours">Our figure for the same measure.</param>
/// <param name="Epochs">Epochs actually run.</param>
/// <param name="Seconds">Wall time of training and evaluation.</param>
/// <param name="Note">Why the figures differ, or what to look at.</param>
internal sealed record ResultRow(string Id, string Setting, string Documented, string Ours, int Epochs, double Seconds, string Note = "");
