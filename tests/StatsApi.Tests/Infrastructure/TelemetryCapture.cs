using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;

namespace StatsApi.Tests.Infrastructure;

/// <summary>
/// Every span the process starts, sampled whatever the service's sampler says, and every measurement of
/// every meter, kept as text: each span's name, tags, events and status, each measurement's instrument and
/// tag values. The listeners see the whole process, so a leak shows here even where no exporter is set.
/// </summary>
public sealed class TelemetryCapture : IDisposable
{
    private readonly ConcurrentQueue<string> _records = new();
    private readonly ActivityListener _activities;
    private readonly MeterListener _meters;

    public TelemetryCapture()
    {
        _activities = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            SampleUsingParentId = (ref ActivityCreationOptions<string> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity => _records.Enqueue(Describe(activity)),
        };
        ActivitySource.AddActivityListener(_activities);

        _meters = new MeterListener { InstrumentPublished = (instrument, listener) => listener.EnableMeasurementEvents(instrument) };
        _meters.SetMeasurementEventCallback<byte>((i, _, tags, _) => Measured(i, tags));
        _meters.SetMeasurementEventCallback<short>((i, _, tags, _) => Measured(i, tags));
        _meters.SetMeasurementEventCallback<int>((i, _, tags, _) => Measured(i, tags));
        _meters.SetMeasurementEventCallback<long>((i, _, tags, _) => Measured(i, tags));
        _meters.SetMeasurementEventCallback<float>((i, _, tags, _) => Measured(i, tags));
        _meters.SetMeasurementEventCallback<double>((i, _, tags, _) => Measured(i, tags));
        _meters.SetMeasurementEventCallback<decimal>((i, _, tags, _) => Measured(i, tags));
        _meters.Start();
    }

    /// <summary>What was captured so far, observable instruments read once more first.</summary>
    public IReadOnlyList<string> Records()
    {
        _meters.RecordObservableInstruments();
        return [.. _records];
    }

    public void Dispose()
    {
        _activities.Dispose();
        _meters.Dispose();
    }

    private void Measured(Instrument instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0)
        {
            return;
        }
        var text = new List<string>(tags.Length);
        foreach (var (key, value) in tags)
        {
            text.Add($"{key}={Convert.ToString(value, CultureInfo.InvariantCulture)}");
        }
        _records.Enqueue($"metric {instrument.Meter.Name}/{instrument.Name}: {string.Join(' ', text)}");
    }

    private static string Describe(Activity activity)
    {
        static string Tags(IEnumerable<KeyValuePair<string, object?>> tags) =>
            string.Join(' ', tags.Select(t => $"{t.Key}={Convert.ToString(t.Value, CultureInfo.InvariantCulture)}"));

        var events = activity.Events.Select(e => $"event {e.Name}: {Tags(e.Tags)}");
        var links = activity.Links.Select(l => $"link: {Tags(l.Tags ?? [])}");
        var baggage = activity.Baggage.Select(b => $"baggage {b.Key}={b.Value}");
        return $"span {activity.Source.Name}/{activity.OperationName} '{activity.DisplayName}': {Tags(activity.TagObjects)} " +
            $"status={activity.Status} {activity.StatusDescription} {string.Join(" | ", events.Concat(links).Concat(baggage))}";
    }
}
