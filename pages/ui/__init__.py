"""Helpers shared by the pages, one module per concern: chrome (lesson list, headers, navigation,
presenter mode), figures, widgets (controls, number display), background (training in a thread)."""
