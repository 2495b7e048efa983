"""The 14 industrial ecosystems of the EU Industrial Strategy.

Source: "Updating the 2020 New Industrial Strategy", COM(2021) 350, and its staff working
document SWD(2021) 351 (Annual Single Market Report 2021), which names the ecosystems.
"""

from __future__ import annotations

from enum import StrEnum


class Ecosystem(StrEnum):
    AEROSPACE_DEFENCE = "aerospace_defence"
    AGRI_FOOD = "agri_food"
    CONSTRUCTION = "construction"
    CULTURAL_CREATIVE = "cultural_creative"
    DIGITAL = "digital"
    ELECTRONICS = "electronics"
    ENERGY_INTENSIVE = "energy_intensive"
    RENEWABLE_ENERGY = "renewable_energy"
    HEALTH = "health"
    MOBILITY_TRANSPORT_AUTOMOTIVE = "mobility_transport_automotive"
    PROXIMITY_SOCIAL_ECONOMY = "proximity_social_economy"
    RETAIL = "retail"
    TEXTILES = "textiles"
    TOURISM = "tourism"


LABELS: dict[Ecosystem, str] = {
    Ecosystem.AEROSPACE_DEFENCE: "Aerospace & defence",
    Ecosystem.AGRI_FOOD: "Agri-food",
    Ecosystem.CONSTRUCTION: "Construction",
    Ecosystem.CULTURAL_CREATIVE: "Cultural & creative industries",
    Ecosystem.DIGITAL: "Digital",
    Ecosystem.ELECTRONICS: "Electronics",
    Ecosystem.ENERGY_INTENSIVE: "Energy-intensive industries",
    Ecosystem.RENEWABLE_ENERGY: "Energy-renewables",
    Ecosystem.HEALTH: "Health",
    Ecosystem.MOBILITY_TRANSPORT_AUTOMOTIVE: "Mobility-Transport-Automotive",
    Ecosystem.PROXIMITY_SOCIAL_ECONOMY: "Proximity, social economy & civil security",
    Ecosystem.RETAIL: "Retail",
    Ecosystem.TEXTILES: "Textiles",
    Ecosystem.TOURISM: "Tourism",
}
