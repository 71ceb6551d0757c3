import pytest
import yaml

from bizsum.config import RunConfig, build_config, config_from_parameters, load_config, parameter_names
from bizsum.errors import ConfigError
from bizsum.notebook import parameters_from_namespace
from tests.helpers import base_config


def test_yaml_round_trip(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump(base_config(samples=3)))
    config = load_config(path)
    assert isinstance(config, RunConfig)
    assert config.samples == 3 and config.models[0].model_name == "fake"
    assert config.token_limit == 512 and len(config.focus_areas) == 5


def test_unknown_field_is_named(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump(base_config(sampels=2)))
    with pytest.raises(ConfigError, match=r"sampels: unknown field"):
        load_config(path)


def test_unknown_model_field_is_named():
    with pytest.raises(ConfigError, match=r"models\.0\.temprature: unknown field"):
        build_config(base_config(models=[{"id": "m", "provider": "fake", "temprature": 0}]), "x.yaml")


def test_api_key_is_refused_everywhere():
    with pytest.raises(ConfigError, match="api_key_env"):
        build_config(base_config(models=[{"id": "m", "provider": "openai", "api_key": "sk-123"}]), "x.yaml")
    with pytest.raises(ConfigError, match="secret"):
        config_from_parameters({"openai_api_key": "sk-123"})


def test_duplicate_model_ids():
    with pytest.raises(ConfigError, match="repeated"):
        build_config(base_config(models=[{"id": "m", "provider": "fake"}, {"id": "m", "provider": "fake"}]), "x")


def test_parameters_map_one_to_one(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump(base_config()))
    config = config_from_parameters({"config_path": str(path), "samples": 2, "name": None})
    assert config.samples == 2 and config.name == "t"
    assert set(parameter_names()) == {"config_path", *RunConfig.model_fields}


def test_unknown_parameter_is_an_error():
    with pytest.raises(ConfigError, match=r"unknown notebook parameter\(s\) \['token_limt'\]"):
        config_from_parameters({"token_limt": 100})


def test_namespace_diff_ignores_private_names():
    before = {"In", "Out", "notebook"}
    namespace = {"In": [], "Out": {}, "notebook": None, "_i3": "x", "samples": 2, "config_path": "c.yaml"}
    assert parameters_from_namespace(namespace, before) == {"samples": 2, "config_path": "c.yaml"}


def test_missing_and_empty_config_file(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yaml")
    (tmp_path / "empty.yaml").write_text("")
    with pytest.raises(ConfigError, match="empty"):
        load_config(tmp_path / "empty.yaml")
