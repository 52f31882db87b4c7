"""Checks deployment files against the AWS API models that botocore ships.

    python tools/aws_model_check.py ecs-task-definition deploy/ecs/task-definition.json
    python tools/aws_model_check.py iam-actions deploy/iam-policy.json

ecs-task-definition: the file is the input of ECS RegisterTaskDefinition (what
`aws ecs register-task-definition --cli-input-json file://...` sends). It is
validated with botocore's own ParamValidator against that operation's input
shape (required members, types, unknown members, lengths and ranges), plus the
enum values of the same shapes, which ParamValidator does not check.

iam-actions: every "service:Operation" action of the policy (wildcards
allowed) must name at least one operation of that service's botocore model.

Prints one JSON object on stdout: {"errors": [...], ...}; exits 1 if there
are errors. Used by tests/deploy_test.ts; .ci/run installs botocore
(tools/ci-requirements.txt).
"""

import fnmatch
import json
import sys

import botocore
import botocore.session
from botocore.validate import ParamValidator


def enum_errors(value, shape, path):
    """Values outside a string shape's enum, anywhere in the input."""
    errors = []
    if shape.type_name == "structure" and isinstance(value, dict):
        for name, member in value.items():
            if name in shape.members:
                errors += enum_errors(member, shape.members[name], f"{path}.{name}")
    elif shape.type_name == "list" and isinstance(value, list):
        for i, item in enumerate(value):
            errors += enum_errors(item, shape.member, f"{path}[{i}]")
    elif shape.type_name == "map" and isinstance(value, dict):
        for key, item in value.items():
            errors += enum_errors(item, shape.value, f"{path}.{key}")
    elif shape.type_name == "string" and shape.enum and value not in shape.enum:
        errors.append(f"{path}: {value!r} is not one of {', '.join(shape.enum)}")
    return errors


def check_task_definition(path):
    with open(path, encoding="utf-8") as f:
        params = json.load(f)
    model = botocore.session.get_session().get_service_model("ecs")
    shape = model.operation_model("RegisterTaskDefinition").input_shape
    report = ParamValidator().validate(params, shape)
    errors = report.generate_report().splitlines() if report.has_errors() else []
    errors += enum_errors(params, shape, "input")
    return {
        "errors": errors,
        "operation": "ecs.RegisterTaskDefinition",
        "apiVersion": model.api_version,
        "botocore": botocore.__version__,
    }


def check_iam_actions(path):
    with open(path, encoding="utf-8") as f:
        policy = json.load(f)
    session = botocore.session.get_session()
    available = set(session.get_available_services())
    errors = []
    found = {}
    for statement in policy.get("Statement", []):
        actions = statement.get("Action", [])
        for action in [actions] if isinstance(actions, str) else actions:
            # The IAM prefixes used here (kinesis, dynamodb, cloudwatch, kms) are the model names.
            service, _, operation = action.partition(":")
            if service not in available:
                errors.append(f"{action}: botocore has no service model {service!r}")
                continue
            names = session.get_service_model(service).operation_names
            matches = [n for n in names if fnmatch.fnmatchcase(n, operation)]
            if not matches:
                errors.append(f"{action}: no operation {operation!r} in the {service} model")
            found[action] = matches
    return {"errors": errors, "actions": found, "botocore": botocore.__version__}


def main(argv):
    checks = {"ecs-task-definition": check_task_definition, "iam-actions": check_iam_actions}
    if len(argv) != 3 or argv[1] not in checks:
        sys.stderr.write(f"usage: {argv[0]} {{{'|'.join(checks)}}} FILE\n")
        return 2
    result = checks[argv[1]](argv[2])
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
