// The callback shown in the README, compiled here so the README never shows code that does not build.
// ReadmeSnippetTests checks that the README holds the text between the two markers verbatim.
// README:begin
using System.Text.Json.Nodes;
using Dsl.Runtime.Training;

/// <summary>Stops the run once the validation accuracy reaches a target; counts epochs across resumes.</summary>
public sealed class TargetAccuracy : TrainingCallback
{
    private readonly double _target;

    public TargetAccuracy(double target) => _target = target;

    public int EpochsSeen { get; private set; }

    public override void OnEpochEnd(TrainingContext context, EpochMetrics metrics)
    {
        EpochsSeen++;
        if (metrics.ValAccuracy >= _target)
            context.RequestStop($"reached {metrics.ValAccuracy:P1} validation accuracy after {EpochsSeen} epochs");
    }

    // Saved in every checkpoint and handed back when a run resumes, so the count goes on.
    public override JsonNode SaveState() => new JsonObject { ["epochsSeen"] = EpochsSeen };

    public override void LoadState(JsonNode state) => EpochsSeen = state["epochsSeen"]!.GetValue<int>();
}
// README:end
