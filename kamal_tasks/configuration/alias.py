"""The ``aliases`` section: short names for task command lines."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from kamal_tasks.configuration.validators import SERVICE_PATTERN, invalid, raise_all

if TYPE_CHECKING:
    from voluptuous import Invalid


def aliases(value: Any) -> Any:
    """``name: task command line``: names like service names, not a task's; values naming a
    task (``app.exec -i --reuse "bin/rails console"`` or Kamal's ``app exec ...``)."""
    if not isinstance(value, dict):
        raise invalid("should be a hash")
    from kamal_tasks.errors import AliasError
    from kamal_tasks.tasks.aliases import builtin_task_names, resolve

    errors: list[Invalid] = []
    for name, command in value.items():
        if not isinstance(name, str) or not re.match(SERVICE_PATTERN, name):
            message = "Invalid alias name: can only contain lowercase letters, numbers, dashes and underscores"  # noqa: E501
            errors.append(invalid(message, [name]))
        elif name in builtin_task_names() or name.replace("_", "-") in builtin_task_names():
            errors.append(invalid(f"Alias '{name}' conflicts with a built-in task", [name]))
        elif not isinstance(command, str) or not command.strip():
            errors.append(invalid("should be a task command line", [name]))
        else:
            try:
                resolve(command)
            except AliasError as error:
                errors.append(invalid(str(error), [name]))
    raise_all(errors)
    return value
