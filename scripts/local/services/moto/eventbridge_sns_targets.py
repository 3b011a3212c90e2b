"""EventBridge rule targets that are SNS topics, for moto's EventBridge.

moto (5.2) matches events against rule patterns and delivers to SQS, CloudWatch Logs, archives, other event
buses and API destinations, but raises NotImplementedError for an SNS topic target. Alerting in the stacks is
an EventBridge rule with an SNS topic target, so without this the deployed rule could never deliver here.

This adds the missing target type and nothing else: moto still decides whether an event matches (the rule's
own, deployed pattern — `send_to_targets` returns early when it does not), and the message goes to moto's SNS
backend, which fans it out to the topic's subscriptions (e.g. an SQS queue). What AWS puts in the message
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html): the event JSON,
or the target's constant `Input`, or the part named by `InputPath`, or the rendered `InputTransformer`.
"""

from __future__ import annotations

import json
from typing import Any

from moto.events import models as events_models
from moto.events.models import EventTemplateParser
from moto.sns.models import sns_backends
from moto.utilities.arns import parse_arn


def _select_path(event: dict[str, Any], path: str) -> Any:
    """InputPath: a JSONPath of the plain dotted form EventBridge documents ($, $.detail, $.detail.x)."""
    value: Any = event
    for part in [p for p in path.lstrip("$").split(".") if p]:
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _payload(target: dict[str, Any], event: dict[str, Any]) -> str:
    if "InputTransformer" in target:
        transformer = target["InputTransformer"]
        rendered = EventTemplateParser.parse(
            input_template=transformer.get("InputTemplate"),
            input_paths_map=transformer.get("InputPathsMap", {}),
            event=event,
        )
        # moto parses the rendered template as JSON; AWS sends the rendered text: a quoted template stays quoted.
        return json.dumps(rendered)
    if "Input" in target:
        return target["Input"]
    if "InputPath" in target:
        return json.dumps(_select_path(event, target["InputPath"]))
    return json.dumps(event)


_original_send_to_targets = events_models.Rule.send_to_targets


def _send_to_targets(self: events_models.Rule, original_event: dict[str, Any], transform_input: bool = True) -> None:
    sns_targets = [t for t in self.targets if parse_arn(t["Arn"]).service == "sns"]
    if not sns_targets:
        return _original_send_to_targets(self, original_event, transform_input)
    if not self.event_pattern.matches_event(original_event):
        return None
    others = [t for t in self.targets if t not in sns_targets]
    # moto's own delivery for the other targets, with the SNS ones hidden from it for the call.
    all_targets, self.targets = self.targets, others
    try:
        _original_send_to_targets(self, original_event, transform_input)
    finally:
        self.targets = all_targets
    for target in sns_targets:
        arn = parse_arn(target["Arn"])
        sns_backends[arn.account][arn.region].publish(message=_payload(target, dict(original_event)), arn=target["Arn"])
    return None


def install() -> None:
    events_models.Rule.send_to_targets = _send_to_targets  # type: ignore[method-assign]
