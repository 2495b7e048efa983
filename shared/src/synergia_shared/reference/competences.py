"""Controlled vocabulary of competences (technology and business areas).

Free keywords live beside it; these terms are what offers and needs are matched on. The
first six are the Key Enabling Technologies (COM(2009) 512, taken up by Horizon 2020 in
Regulation (EU) 1291/2013, Annex I, Part II, section 1); the rest are the areas the
cluster programme names (ICT, eco-innovation, resource efficiency, new business models,
design and creativity) and common value-chain capabilities.
"""

from __future__ import annotations

from enum import StrEnum


class Competence(StrEnum):
    MICRO_NANO_ELECTRONICS = "micro_nano_electronics"
    NANOTECHNOLOGY = "nanotechnology"
    PHOTONICS = "photonics"
    ADVANCED_MATERIALS = "advanced_materials"
    INDUSTRIAL_BIOTECHNOLOGY = "industrial_biotechnology"
    ADVANCED_MANUFACTURING = "advanced_manufacturing"
    ICT = "ict"
    ARTIFICIAL_INTELLIGENCE = "artificial_intelligence"
    CYBERSECURITY = "cybersecurity"
    IOT = "iot"
    ROBOTICS = "robotics"
    ADDITIVE_MANUFACTURING = "additive_manufacturing"
    DATA_ANALYTICS = "data_analytics"
    ECO_INNOVATION = "eco_innovation"
    RESOURCE_EFFICIENCY = "resource_efficiency"
    CIRCULAR_ECONOMY = "circular_economy"
    ENERGY_EFFICIENCY = "energy_efficiency"
    RENEWABLE_ENERGY = "renewable_energy"
    NEW_BUSINESS_MODELS = "new_business_models"
    DESIGN_CREATIVITY = "design_creativity"
    LOGISTICS = "logistics"
    TESTING_CERTIFICATION = "testing_certification"
    BIOTECHNOLOGY = "biotechnology"
    FOOD_PROCESSING = "food_processing"
    MATERIALS_RECYCLING = "materials_recycling"
    PROTOTYPING = "prototyping"
    INTERNATIONALISATION = "internationalisation"
    FINANCE_INVESTMENT = "finance_investment"


LABELS: dict[Competence, str] = {
    Competence.MICRO_NANO_ELECTRONICS: "Micro- and nano-electronics",
    Competence.NANOTECHNOLOGY: "Nanotechnology",
    Competence.PHOTONICS: "Photonics",
    Competence.ADVANCED_MATERIALS: "Advanced materials",
    Competence.INDUSTRIAL_BIOTECHNOLOGY: "Industrial biotechnology",
    Competence.ADVANCED_MANUFACTURING: "Advanced manufacturing and processing",
    Competence.ICT: "Information and communication technologies",
    Competence.ARTIFICIAL_INTELLIGENCE: "Artificial intelligence",
    Competence.CYBERSECURITY: "Cybersecurity",
    Competence.IOT: "Internet of things",
    Competence.ROBOTICS: "Robotics",
    Competence.ADDITIVE_MANUFACTURING: "Additive manufacturing",
    Competence.DATA_ANALYTICS: "Data analytics",
    Competence.ECO_INNOVATION: "Eco-innovation",
    Competence.RESOURCE_EFFICIENCY: "Resource efficiency",
    Competence.CIRCULAR_ECONOMY: "Circular economy",
    Competence.ENERGY_EFFICIENCY: "Energy efficiency",
    Competence.RENEWABLE_ENERGY: "Renewable energy",
    Competence.NEW_BUSINESS_MODELS: "New business models",
    Competence.DESIGN_CREATIVITY: "Design and creativity",
    Competence.LOGISTICS: "Logistics",
    Competence.TESTING_CERTIFICATION: "Testing and certification",
    Competence.BIOTECHNOLOGY: "Biotechnology",
    Competence.FOOD_PROCESSING: "Food processing",
    Competence.MATERIALS_RECYCLING: "Materials recycling",
    Competence.PROTOTYPING: "Prototyping and pilot production",
    Competence.INTERNATIONALISATION: "Internationalisation",
    Competence.FINANCE_INVESTMENT: "Access to finance and investment readiness",
}
